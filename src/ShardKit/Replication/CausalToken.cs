
namespace ShardKit.Replication;

/// <summary>
/// Marks a write on a cluster so that a later read can be served by a replica only once that replica has
/// applied it ("read your own writes"). Get one from <see cref="ShardConnection.GetCausalTokenAsync"/> after the write
/// (or let a <see cref="ShardKitDataSource.ReadYourWrites"/> scope collect them); pass it to a read with
/// <see cref="ReadPreference.PreferReplica"/>.
/// It travels between service instances as text: <see cref="ToString"/> and <see cref="Parse"/>.
/// </summary>
public sealed class CausalToken : IEquatable<CausalToken>
{
    private const char Separator = '@';

    /// <summary>Creates a token for a write on <paramref name="cluster"/> that committed <paramref name="gtid"/>.</summary>
    /// <param name="cluster">The name of the cluster the write went to.</param>
    /// <param name="gtid">The global transaction ID: MariaDB <c>0-1-42</c> or MySQL <c>3e11fa47-71ca-11e1-9e33-c80aa9429562:23</c> (or a comma-separated list of them).</param>
    /// <exception cref="ArgumentException">The cluster name is empty or the GTID is malformed.</exception>
    public CausalToken(string cluster, string gtid)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(cluster);
        ArgumentException.ThrowIfNullOrWhiteSpace(gtid);
        if (!GtidDialect.IsWellFormed(gtid))
        {
            throw new ArgumentException($"'{gtid}' is not a GTID: expected MariaDB domain-server-sequence numbers such as 0-1-42, or a MySQL set such as 3e11fa47-71ca-11e1-9e33-c80aa9429562:23 (several separated by commas).", nameof(gtid));
        }

        Cluster = cluster;
        Gtid = gtid;
    }

    /// <summary>The name of the cluster the write went to; the token only affects reads on that cluster.</summary>
    public string Cluster { get; }

    /// <summary>The global transaction ID the write committed.</summary>
    public string Gtid { get; }

    /// <summary>
    /// Reads a token written by <see cref="ToString"/> (<c>gtid@cluster</c>, for example <c>0-1-42@c0</c>).
    /// </summary>
    /// <param name="text">The token text.</param>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="FormatException"><paramref name="text"/> is not a causal token; the message says what is wrong.</exception>
    public static CausalToken Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var at = text.IndexOf(Separator, StringComparison.Ordinal);
        if (at < 0)
        {
            throw new FormatException($"'{text}' is not a causal token: expected 'gtid@cluster', for example '0-1-42@c0'.");
        }

        var gtid = text[..at];
        var cluster = text[(at + 1)..];
        if (!GtidDialect.IsWellFormed(gtid))
        {
            throw new FormatException($"'{text}' is not a causal token: '{gtid}' is not a GTID (expected MariaDB numbers such as 0-1-42 or a MySQL set such as 3e11fa47-71ca-11e1-9e33-c80aa9429562:23, several separated by commas).");
        }

        if (string.IsNullOrWhiteSpace(cluster))
        {
            throw new FormatException($"'{text}' is not a causal token: the cluster name after '@' is empty.");
        }

        return new CausalToken(cluster, gtid);
    }

    /// <summary>Returns the token as <c>gtid@cluster</c>, the form <see cref="Parse"/> reads.</summary>
    public override string ToString() => string.Concat(Gtid, "@", Cluster);

    /// <summary>Whether <paramref name="other"/> names the same cluster (case-insensitively) and GTID.</summary>
    /// <param name="other">The other token.</param>
    public bool Equals(CausalToken? other) =>
        other is not null
        && string.Equals(Cluster, other.Cluster, StringComparison.OrdinalIgnoreCase)
        && string.Equals(Gtid, other.Gtid, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as CausalToken);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(StringComparer.OrdinalIgnoreCase.GetHashCode(Cluster), Gtid);
}
