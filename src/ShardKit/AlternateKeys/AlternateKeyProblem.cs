namespace ShardKit.AlternateKeys;

/// <summary>One alternate key that <see cref="AlternateKeyStore.VerifyAsync"/> found wrong.</summary>
/// <param name="Key">The key.</param>
/// <param name="Kind">What is wrong.</param>
/// <param name="Mapped">What the stored mapping names, when there is one.</param>
/// <param name="Declared">The order that was created with the key, for <see cref="AlternateKeyProblemKind.Missing"/> and <see cref="AlternateKeyProblemKind.Conflicting"/>.</param>
/// <param name="Repaired">Whether the repair fixed it (a dangling mapping removed, a missing one created).</param>
public sealed record AlternateKeyProblem(AlternateKey Key, AlternateKeyProblemKind Kind, AlternateKeyTarget? Mapped, AlternateKeyTarget? Declared, bool Repaired);
