namespace ShardKit.Migration;

/// <summary>The names of <see cref="BucketState"/> as the control schema stores them (<c>PLAN</c>, <c>CAPTURE</c>, ...).</summary>
internal static class MigrationStates
{
    public static string Name(BucketState state) => state.ToString().ToUpperInvariant();

    public static BucketState Parse(string value) =>
        Enum.TryParse<BucketState>(value, ignoreCase: true, out var state) && !int.TryParse(value, out _)
            ? state
            : throw new InvalidOperationException($"Unknown migration state '{value}' in the control schema.");
}
