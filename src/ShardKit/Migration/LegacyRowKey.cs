namespace ShardKit.Migration;

/// <summary>What identifies a legacy order: its legacy key, its user and merchant, and its ShardKit ID if it has one.</summary>
internal readonly record struct LegacyRowKey(long LegacyId, long UserId, long MerchantId, long? OrderId);
