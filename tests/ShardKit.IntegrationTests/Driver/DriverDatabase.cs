namespace ShardKit.IntegrationTests.Driver;

/// <summary>The utf8mb4 database the driver tests use on the shared server.</summary>
internal static class DriverDatabase
{
    public const string Name = "driver_tests";

    /// <summary>Creates the database if needed and returns a connection string for it, with <paramref name="extra"/> options appended.</summary>
    public static async Task<string> ConnectionStringAsync(ServerFixture fixture, string extra = "")
    {
        await fixture.Server.ExecuteAsync($"CREATE DATABASE IF NOT EXISTS {Name} CHARACTER SET utf8mb4");
        return $"{fixture.ConnectionString};Database={Name};{extra}";
    }
}
