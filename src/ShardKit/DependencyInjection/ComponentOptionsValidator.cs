using Microsoft.Extensions.Options;

namespace ShardKit.DependencyInjection;

/// <summary>
/// Validates a component's options at start-up (<c>ValidateOnStart</c>) with the component's own checks (the ones its
/// constructor runs), so a bad value fails the process start with a message that names the options class and the entry.
/// </summary>
/// <typeparam name="TOptions">The options class.</typeparam>
internal sealed class ComponentOptionsValidator<TOptions>(Action<TOptions> validate) : IValidateOptions<TOptions>
    where TOptions : class
{
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        if (name is not null && name != Options.DefaultName)
        {
            return ValidateOptionsResult.Skip;
        }

        try
        {
            validate(options);
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException ex)
        {
            var message = ex.ParamName is { } parameter && ex.Message.EndsWith($" (Parameter '{parameter}')", StringComparison.Ordinal)
                ? ex.Message[..^$" (Parameter '{parameter}')".Length]
                : ex.Message;
            return ValidateOptionsResult.Fail($"{typeof(TOptions).Name}: {message}");
        }
    }
}
