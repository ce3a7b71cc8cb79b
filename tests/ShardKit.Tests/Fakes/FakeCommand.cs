using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;

namespace ShardKit.Tests.Fakes;

public sealed class FakeCommand(FakeConnection connection) : DbCommand
{
    [AllowNull]
    public override string CommandText { get; set; } = "";

    public override int CommandTimeout { get; set; } = 30;

    public override CommandType CommandType { get; set; } = CommandType.Text;

    public override bool DesignTimeVisible { get; set; }

    public override UpdateRowSource UpdatedRowSource { get; set; }

    protected override DbConnection? DbConnection { get; set; } = connection;

    protected override DbParameterCollection DbParameterCollection => throw new NotSupportedException("The fake provider takes no parameters.");

    protected override DbTransaction? DbTransaction { get; set; }

    public override void Cancel()
    {
    }

    public override int ExecuteNonQuery() => connection.Server.Execute(connection.ConnectionString, CommandText);

    public override object? ExecuteScalar()
    {
        connection.Server.Execute(connection.ConnectionString, CommandText);
        return connection.Server.Scalar(connection.ConnectionString, CommandText);
    }

    public override void Prepare()
    {
    }

    protected override DbParameter CreateDbParameter() => throw new NotSupportedException("The fake provider takes no parameters.");

    protected override DbDataReader ExecuteDbDataReader(CommandBehavior behavior) =>
        (DbDataReader)connection.Server.Query(connection.ConnectionString, CommandText);
}
