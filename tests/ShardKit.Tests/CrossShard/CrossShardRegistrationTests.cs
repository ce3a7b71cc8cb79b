using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using ShardKit.Tests.Fakes;

namespace ShardKit.Tests.CrossShard;

public sealed class CrossShardRegistrationTests
{
    [Fact]
    public async Task RegistersOneExecutorWhoseOptionsBindFromConfigurationWithTheKeyAsBase64()
    {
        var key = Enumerable.Range(0, 32).Select(i => (byte)(i + 1)).ToArray();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["CrossShard:MaxPageSize"] = "50",
            ["CrossShard:TokenSigningKey"] = Convert.ToBase64String(key),
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton(new ShardKitDataSourceBuilder(TestTopologies.DevUp()).Build());
        services.Configure<CrossShardOptions>(configuration.GetSection("CrossShard"));
        services.AddCrossShardQueries(o => o.MaxConcurrentQueriesPerCluster = 2);
        services.AddCrossShardQueries(o => o.MaxConcurrentQueriesPerCluster = 0);
        await using var provider = services.BuildServiceProvider();

        var executor = provider.GetRequiredService<CrossShardQueryExecutor>();
        var tooBig = await Assert.ThrowsAsync<ArgumentException>(() =>
            executor.QueryPageAsync<long>(new CrossShardQuery { Dimension = ShardDimension.User, PageSize = 51 }));

        Assert.Same(executor, provider.GetRequiredService<CrossShardQueryExecutor>());
        Assert.Contains("from 1 to 50", tooBig.Message, StringComparison.Ordinal);
        Assert.Equal(key, provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<CrossShardOptions>>().Value.TokenSigningKey);
    }
}
