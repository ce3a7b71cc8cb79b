using System.Data.Common;

namespace ShardKit.MySqlClient;

/// <summary>The ADO.NET provider factory for ShardKit.MySqlClient.</summary>
public sealed class MySqlClientFactory : DbProviderFactory
{
    /// <summary>The factory instance.</summary>
    public static readonly MySqlClientFactory Instance = new();

    private MySqlClientFactory()
    {
    }

    /// <inheritdoc />
    public override bool CanCreateBatch => true;

    /// <inheritdoc />
    public override bool CanCreateDataSourceEnumerator => false;

    /// <inheritdoc />
    public override DbConnection CreateConnection() => new MySqlConnection();

    /// <inheritdoc />
    public override DbCommand CreateCommand() => new MySqlCommand();

    /// <inheritdoc />
    public override DbParameter CreateParameter() => new MySqlParameter();

    /// <inheritdoc />
    public override DbConnectionStringBuilder CreateConnectionStringBuilder() => new MySqlConnectionStringBuilder();

    /// <inheritdoc />
    public override DbDataSource CreateDataSource(string connectionString) => new MySqlDataSource(connectionString);

    /// <inheritdoc />
    public override DbBatch CreateBatch() => new MySqlBatch();

    /// <inheritdoc />
    public override DbBatchCommand CreateBatchCommand() => new MySqlBatchCommand();
}
