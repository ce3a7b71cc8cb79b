namespace ShardKit.MySqlClient.Query;

/// <summary>One SQL statement of a command or batch, with its parameters and (for batches) the command that receives its row count.</summary>
internal readonly record struct Statement(string Sql, MySqlParameterCollection? Parameters, MySqlBatchCommand? BatchCommand);
