using ShardKit.MySqlClient.Protocol;

namespace ShardKit.MySqlClient;

/// <summary>Builds a <see cref="MySqlDataSource"/> from a connection string that can be adjusted through <see cref="ConnectionStringBuilder"/>.</summary>
public sealed class MySqlDataSourceBuilder
{
    /// <summary>Creates a builder, optionally starting from a connection string.</summary>
    /// <exception cref="ArgumentException">The connection string has an unknown keyword or an invalid value.</exception>
    public MySqlDataSourceBuilder(string? connectionString = null)
    {
        ConnectionStringBuilder = new MySqlConnectionStringBuilder(connectionString);
    }

    /// <summary>The connection settings to build with.</summary>
    public MySqlConnectionStringBuilder ConnectionStringBuilder { get; }

    /// <summary>Builds the data source (validating the settings).</summary>
    /// <exception cref="ArgumentException">The settings are inconsistent (for example Minimum Pool Size above Maximum Pool Size).</exception>
    public MySqlDataSource Build() => new(new ConnectionSettings(ConnectionStringBuilder));
}
