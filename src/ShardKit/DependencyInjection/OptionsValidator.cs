using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
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

/// <summary>The one registration of a validated options class.</summary>
internal static class ValidatedOptionsRegistration
{
    /// <summary>
    /// Registers <typeparamref name="TOptions"/> validated at start-up by its own checks (<see cref="OptionsValidator{TOptions}"/>,
    /// <c>ValidateOnStart</c>), set up by <paramref name="configure"/> when given.
    /// </summary>
    public static OptionsBuilder<TOptions> AddValidatedOptions<TOptions>(this IServiceCollection services, Action<TOptions>? configure = null)
        where TOptions : class, IValidatedOptions
    {
        var options = services.AddOptions<TOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TOptions>>(OptionsValidator<TOptions>.Instance));
        if (configure is not null)
        {
            options.Configure(configure);
        }

        return options;
    }
}
