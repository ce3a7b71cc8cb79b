using System.Text.Json;
using System.Text.Json.Nodes;

namespace ShardKit.Migrations.Commands;

/// <summary>
/// The OrderService sample's own order tables, as <c>shardkit demo</c> finds them next to the sample's build: the
/// declaration in its <c>appsettings.json</c> (<c>ShardKit:Tables</c>) and its DDL in <c>sql/user.sql</c> and
/// <c>sql/merchant.sql</c>. The demo's migration keeps the built-in tables; the service's part runs on these.
/// </summary>
/// <param name="Declaration">The sample's <c>ShardKit:Tables</c> section.</param>
/// <param name="UserDdl">The DDL of the user shards.</param>
/// <param name="MerchantDdl">The DDL of the merchant shards.</param>
internal sealed record SampleTables(JsonNode Declaration, string UserDdl, string MerchantDdl)
{
    private static readonly JsonDocumentOptions s_lenient = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>The sample's tables, or <see langword="null"/> when its appsettings.json declares none (it runs on the built-in tables).</summary>
    /// <param name="serviceAssembly">The sample's <c>OrderService.dll</c>.</param>
    /// <exception cref="CliException">A usage error: the sample declares tables but its DDL is not next to it.</exception>
    public static SampleTables? Find(string serviceAssembly)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(serviceAssembly))!;
        var settings = Path.Combine(directory, "appsettings.json");
        if (!File.Exists(settings)
            || JsonNode.Parse(File.ReadAllText(settings), documentOptions: s_lenient)?[ShardKitOptions.SectionName]?["Tables"] is not { } tables)
        {
            return null;
        }

        var user = Path.Combine(directory, "sql", "user.sql");
        var merchant = Path.Combine(directory, "sql", "merchant.sql");
        if (!File.Exists(user) || !File.Exists(merchant))
        {
            throw CliException.Usage($"the OrderService sample in {directory} declares its own tables but their DDL (sql/user.sql, sql/merchant.sql) is not next to it; rebuild it (`dotnet build samples/OrderService -c Release`).");
        }

        return new SampleTables(tables.DeepClone(), File.ReadAllText(user), File.ReadAllText(merchant));
    }

    /// <summary>A topology's configuration JSON with the sample's declaration as its <c>Tables</c> section.</summary>
    public string WithDeclaration(string topologyJson)
    {
        var json = JsonNode.Parse(topologyJson)!;
        json[ShardKitOptions.SectionName]![nameof(ShardKitOptions.Tables)] = Declaration.DeepClone();
        return json.ToJsonString();
    }
}
