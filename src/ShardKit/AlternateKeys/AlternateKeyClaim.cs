namespace ShardKit.AlternateKeys;

/// <summary>The outcome of <see cref="AlternateKeyStore.GetOrClaimAsync"/>.</summary>
/// <param name="Mapping">The mapping now stored for the key: the new one, or the one that was already there.</param>
/// <param name="Claimed"><see langword="true"/> if this call created the mapping; <see langword="false"/> if the key was already mapped.</param>
public sealed record AlternateKeyClaim(AlternateKeyMapping Mapping, bool Claimed);
