using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ShardKit.Topology;

/// <summary>
/// Validates the <c>ShardKit</c> section the way every options class is validated (<see cref="OptionsValidator{TOptions}"/>
/// over the section's own list of problems, the rules of <see cref="ShardMap.Create"/>), and logs a rejected map
/// (event 1002), because a rejected reload otherwise fails silently on a background thread.
/// </summary>
internal sealed class ShardKitOptionsValidator(ILoggerFactory? loggerFactory = null) : IValidateOptions<ShardKitOptions>
{
    private readonly ILogger _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<ShardKitDataSource>();

    public ValidateOptionsResult Validate(string? name, ShardKitOptions options)
    {
        var result = OptionsValidator<ShardKitOptions>.Instance.Validate(name, options);
        if (result.Failed)
        {
            Log.MapRejected(_logger, options.MapVersion, string.Join("; ", ShardMap.Validate(options)));
        }

        return result;
    }
}
