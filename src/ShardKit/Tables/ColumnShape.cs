namespace ShardKit.Tables;

/// <summary>One column of a table as the server describes it (<c>information_schema.COLUMNS</c>).</summary>
/// <param name="Name">The column's name.</param>
/// <param name="DataType">The bare type, lower case: <c>bigint</c>, <c>varchar</c>, <c>decimal</c>, <c>json</c>...</param>
/// <param name="ColumnType">The full type: <c>bigint(20) unsigned</c>, <c>varchar(64)</c>, <c>decimal(18,2)</c>, <c>enum('a','b')</c>...</param>
/// <param name="IsNullable">Whether the column accepts NULL.</param>
/// <param name="IsGenerated">Whether the server computes the column (a generated column is never written).</param>
public sealed record ColumnShape(string Name, string DataType, string ColumnType, bool IsNullable, bool IsGenerated)
{
    /// <summary>The column as one line: <c>name type [NULL] [GENERATED]</c>.</summary>
    public override string ToString() =>
        Name + " " + ColumnType.ToUpperInvariant() + (IsNullable ? " NULL" : " NOT NULL") + (IsGenerated ? " GENERATED" : "");
}
