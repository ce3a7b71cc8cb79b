using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ShardKit.Topology;

/// <summary>
/// Validates the <c>ShardKit</c> section with the same rules as <see cref="ShardMap.Create"/>. A rejected
/// map is also logged, because a rejected reload otherwise fails silently on a background thread.
/// </summary>
internal sealed class ShardKitOptionsValidator : IValidateOptions<ShardKitOptions>
{
    private readonly ILogger _logger;

    public ShardKitOptionsValidator(ILoggerFactory? loggerFactory = null)
    {
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<ShardKitDataSource>();
    }

    public ValidateOptionsResult Validate(string? name, ShardKitOptions options)
    {
        if (name is not null && name != Options.DefaultName)
        {
            return ValidateOptionsResult.Skip;
        }

        var errors = ShardMap.Validate(options);
        if (errors.Count == 0)
        {
            return ValidateOptionsResult.Success;
        }

        Log.MapRejected(_logger, options.MapVersion, string.Join("; ", errors));
        return ValidateOptionsResult.Fail(errors.Select(e => "ShardKit topology: " + e));
    }
}
