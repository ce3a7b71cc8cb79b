using System.CommandLine;
using System.Text.Json;

namespace ShardKit.Migrations.Commands;

/// <summary><c>shardkit route --config F (--user-id N | --merchant-id N | --order-id N) [--json]</c>.</summary>
public static class RouteCommand
{
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>Creates the <c>route</c> command.</summary>
    public static Command Create()
    {
        var config = TopologyCommand.CreateConfigOption();
        var userId = new Option<long>("--user-id") { Description = "Route a user ID to its user shard." };
        var merchantId = new Option<long>("--merchant-id") { Description = "Route a merchant ID to its merchant shard." };
        var orderId = new Option<long>("--order-id") { Description = "Route an order ID to both its user and merchant shards (from its genes)." };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of text." };
        var command = new Command("route", "Show which logical shard, cluster, endpoint and schema serve a user, merchant or order ID.")
        {
            config, userId, merchantId, orderId, json,
        };

        Cli.SetAction(command, parseResult =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var keys = new[] { userId, merchantId, orderId }
                .Where(option => parseResult.GetResult(option) is not null)
                .Select(option => (option.Name, Value: parseResult.GetValue(option)))
                .ToList();

            if (keys.Count != 1)
            {
                throw CliException.Usage(keys.Count == 0
                    ? "give a shard key: --user-id, --merchant-id or --order-id."
                    : $"give exactly one shard key, not {string.Join(" and ", keys.Select(k => k.Name))}.");
            }

            var (name, value) = keys[0];
            if (value <= 0)
            {
                throw CliException.Usage($"{name} must be a positive number, not {value}.");
            }

            var options = TopologyCommand.LoadValid(parseResult.GetRequiredValue(config));
            var map = ShardMap.Create(options);
            var routes = Route(map, name, value);

            if (parseResult.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(
                    new
                    {
                        Key = name[2..],
                        Value = value,
                        MapVersion = map.Version,
                        Routes = routes.Select(r => new
                        {
                            Dimension = r.Dimension == ShardDimension.User ? "user" : "merchant",
                            r.Shard,
                            Cluster = r.Cluster.Name,
                            Endpoint = r.Endpoint.Address,
                            ConnectionString = r.Endpoint.RedactedConnectionString,
                            r.Schema,
                        }),
                    },
                    s_json));
            }
            else
            {
                foreach (var route in routes)
                {
                    output.WriteLine($"{route.Name}  cluster {route.Cluster.Name}  endpoint {route.Endpoint.Address}  schema {route.Schema}  ({route.Endpoint.RedactedConnectionString})");
                }
            }

            return ExitCodes.Ok;
        });

        return command;
    }

    private static List<ShardRoute> Route(ShardMap map, string key, long value)
    {
        switch (key)
        {
            case "--user-id":
                return [map.RouteUser(value)];
            case "--merchant-id":
                return [map.RouteMerchant(value)];
            default:
                var shardCount = Math.Max(map.GetShardCount(ShardDimension.User), map.GetShardCount(ShardDimension.Merchant));
                var orderId = OrderId.Parse(value, shardCount);
                return [map.RouteOrder(orderId, ShardDimension.User), map.RouteOrder(orderId, ShardDimension.Merchant)];
        }
    }
}
