namespace ShardKit.DependencyInjection;

/// <summary>
/// An options class with ShardKit's one validation style: it lists its own problems, each naming the bad entry
/// (<c>OutboxRelayOptions.BatchSize is 0; it must be from 1 to 10000.</c>). With dependency injection the list fails the
/// process start (<see cref="OptionsValidator{TOptions}"/> with <c>ValidateOnStart</c>); a component built by hand runs
/// the same checks in its constructor (<see cref="OptionsValidator{TOptions}.ThrowIfInvalid"/>).
/// </summary>
internal interface IValidatedOptions
{
    /// <summary>Every problem with the values; empty when they are valid.</summary>
    IEnumerable<string> Validate();
}
