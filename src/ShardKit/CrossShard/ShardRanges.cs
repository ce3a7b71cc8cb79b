using System.Globalization;
using System.Text;

namespace ShardKit.CrossShard;

/// <summary>Names sets of shards compactly in messages: <c>user:0-59,61</c>.</summary>
internal static class ShardRanges
{
    public static string Describe(IEnumerable<ShardSlot> slots)
    {
        var ordered = slots.OrderBy(s => s.Shard).ToArray();
        if (ordered.Length == 0)
        {
            return "";
        }

        var text = new StringBuilder(ShardSlot.DimensionName(ordered[0].Dimension)).Append(':');
        var start = 0;
        for (var i = 1; i <= ordered.Length; i++)
        {
            if (i < ordered.Length && ordered[i].Shard == ordered[i - 1].Shard + 1)
            {
                continue;
            }

            text.Append(start == 0 ? "" : ",").Append(ordered[start].Shard.ToString(CultureInfo.InvariantCulture));
            if (i - 1 > start)
            {
                text.Append('-').Append(ordered[i - 1].Shard.ToString(CultureInfo.InvariantCulture));
            }

            start = i;
        }

        return text.ToString();
    }
}
