using Microsoft.Extensions.Options;

namespace ShardKit.DependencyInjection;

/// <summary>Validates an options class at start-up (<c>ValidateOnStart</c>) with its own checks (<see cref="IValidatedOptions"/>).</summary>
/// <typeparam name="TOptions">The options class.</typeparam>
internal sealed class OptionsValidator<TOptions> : IValidateOptions<TOptions>
    where TOptions : class, IValidatedOptions
{
    /// <summary>The one instance (the validator has no state).</summary>
    public static readonly OptionsValidator<TOptions> Instance = new();

    /// <summary>Throws an <see cref="ArgumentException"/> that lists every problem of <paramref name="options"/>, if it has any.</summary>
    /// <param name="options">The options a component was given.</param>
    /// <param name="parameterName">The constructor parameter that took them.</param>
    public static void ThrowIfInvalid(TOptions options, string parameterName)
    {
        var errors = options.Validate().ToList();
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", errors), parameterName);
        }
    }

    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        if (name is not null && name != Options.DefaultName)
        {
            return ValidateOptionsResult.Skip;
        }

        var errors = options.Validate().ToList();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
