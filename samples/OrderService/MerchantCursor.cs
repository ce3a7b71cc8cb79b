using System.Globalization;
using ShardKit;
using ShardKit.Ids;
using ShardKit.Orders;

namespace OrderService;

/// <summary>
/// The text form of a <see cref="MerchantOrderCursor"/> in URLs: <c>{created_at as Unix microseconds}-{order ID}</c>,
/// e.g. <c>1795305600123456-81985529216486895</c>.
/// </summary>
public static class MerchantCursor
{
    /// <summary>Formats a cursor.</summary>
    public static string Format(MerchantOrderCursor cursor)
    {
        ArgumentNullException.ThrowIfNull(cursor);
        var micros = (cursor.CreatedAt.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;
        return string.Create(CultureInfo.InvariantCulture, $"{micros}-{cursor.OrderId.Value}");
    }

    /// <summary>Parses a cursor written by <see cref="Format"/>; <see langword="false"/> for anything else.</summary>
    public static bool TryParse(string text, int shardCount, out MerchantOrderCursor? cursor)
    {
        cursor = null;
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0
            || !long.TryParse(text.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var micros)
            || !long.TryParse(text.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var orderId)
            || micros > (DateTimeOffset.MaxValue.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10
            || !OrderId.TryParse(orderId, shardCount, out var id))
        {
            return false;
        }

        cursor = new MerchantOrderCursor(DateTimeOffset.UnixEpoch.AddTicks(micros * 10), id);
        return true;
    }
}
