namespace ShardKit;

/// <summary>Identifies why a <see cref="ShardKitException"/> was thrown.</summary>
public enum ShardKitErrorCode
{
    /// <summary>An error that has no more specific code.</summary>
    Unknown = 0,

    /// <summary>The topology (shard map, clusters, endpoints) is invalid or refers to something that does not exist.</summary>
    InvalidTopology,

    /// <summary>A number was presented as a ShardKit order ID but is not one (no valid shard genes, impossible timestamp).</summary>
    InvalidOrderId,

    /// <summary>A transaction bound to one shard was asked to touch a different shard.</summary>
    CrossShardTransaction,

    /// <summary>The physical endpoint that serves the shard could not be reached or failed.</summary>
    ShardUnavailable,

    /// <summary>The order ID generator cannot issue an ID (the clock moved backwards too far, or no worker ID is held).</summary>
    IdGenerationFailed,

    /// <summary>No worker ID could be leased because every worker ID is held by a live instance.</summary>
    WorkerIdsExhausted,

    /// <summary>The endpoint's concurrency limit and queue are full; the call was rejected without being sent.</summary>
    Overloaded,

    /// <summary>A schema operation failed on one or more shards.</summary>
    SchemaFailed,

    /// <summary>An alternate key is already mapped to a different target; a key names one user or order only.</summary>
    AlternateKeyTaken,

    /// <summary>
    /// The logical shard was moved to another cluster (<c>shardkit move-shard</c>): the database refused the write with the
    /// shard's fence. Transient: the placement is refreshed and the write succeeds again on the shard's new cluster.
    /// </summary>
    ShardMoved,

    /// <summary>
    /// The server refused the account's credentials (a wrong user name or password, or no access to the schema). Permanent:
    /// retrying will not help until the configuration is fixed. The message never contains the password.
    /// </summary>
    AccessDenied,

    /// <summary>
    /// The shards' tables do not match the declared table model (<see cref="ShardKitOptions.Tables"/>): a table or key
    /// column is missing, a key column has the wrong type, or shards of a dimension have different shapes. Not transient:
    /// fix the declaration or the tables (<c>shardkit topology validate</c> lists every problem).
    /// </summary>
    InvalidTables,
}
