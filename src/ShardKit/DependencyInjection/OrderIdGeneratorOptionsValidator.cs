using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ShardKit.DependencyInjection;

/// <summary>
/// Validates <c>ShardKit:OrderIds</c> at start-up (<c>ValidateOnStart</c>), with the rules of <see cref="OrderIdGenerator"/>:
/// a worker ID outside 0..255, a shard count outside 1..128 or a clock-regression allowance outside 0..1 minute fails the
/// process start with a message that names the entry, instead of an <see cref="ArgumentException"/> at the first order.
/// (A worker ID that is not set at all is not an error here: an application that never creates orders needs none.)
/// </summary>
internal sealed class OrderIdGeneratorOptionsValidator(IServiceProviderIsService? services = null) : IValidateOptions<OrderIdGeneratorOptions>
{
    private const string Section = "ShardKit:OrderIds:";

    public ValidateOptionsResult Validate(string? name, OrderIdGeneratorOptions options)
    {
        if (name is not null && name != Options.DefaultName)
        {
            return ValidateOptionsResult.Skip;
        }

        var errors = new List<string>();
        if (options.WorkerId is { } workerId && workerId is < 0 or > OrderIdLayout.MaxWorkerId)
        {
            errors.Add(Invariant($"{Section}{nameof(options.WorkerId)} must be between 0 and {OrderIdLayout.MaxWorkerId} (unique among live instances); got {workerId}."));
        }

        if (options.WorkerId is not null && services?.IsService(typeof(IWorkerIdLease)) == true)
        {
            errors.Add($"{Section}{nameof(options.WorkerId)} is set and an {nameof(IWorkerIdLease)} is registered: give one or the other.");
        }

        if (options.ShardCount is < 1 or > ShardFunctions.MaxShardCount)
        {
            errors.Add(Invariant($"{Section}{nameof(options.ShardCount)} must be between 1 and {ShardFunctions.MaxShardCount}; got {options.ShardCount}."));
        }

        if (options.MaxClockRegression < TimeSpan.Zero || options.MaxClockRegression > TimeSpan.FromMinutes(1))
        {
            errors.Add(Invariant($"{Section}{nameof(options.MaxClockRegression)} must be between 00:00:00 and 00:01:00; got {options.MaxClockRegression}."));
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
