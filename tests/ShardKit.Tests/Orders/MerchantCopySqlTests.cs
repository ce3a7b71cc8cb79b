using System.Text.RegularExpressions;
using ShardKit.Orders;

namespace ShardKit.Tests.Orders;

public sealed class MerchantCopySqlTests
{
    private static List<string> Assignments(string sql) =>
        sql[(sql.IndexOf("ON DUPLICATE KEY UPDATE", StringComparison.Ordinal) + "ON DUPLICATE KEY UPDATE".Length)..]
            .Split(",\n", StringSplitOptions.TrimEntries)
            .ToList();

    [Fact]
    public void TheGuardedUpsertAssignsVersionLastSoEveryGuardComparesWithTheOldVersion()
    {
        var assignments = Assignments(MerchantCopySql.GuardedUpsert);

        Assert.StartsWith("version = ", assignments[^1], StringComparison.Ordinal);
        Assert.Single(assignments, a => a.StartsWith("version = ", StringComparison.Ordinal));
    }

    [Fact]
    public void TheGuardedUpsertOverwritesEveryColumnOnlyWithAStrictlyNewerVersion()
    {
        var assignments = Assignments(MerchantCopySql.GuardedUpsert);

        Assert.Equal(10, assignments.Count);
        foreach (var assignment in assignments)
        {
            var match = Regex.Match(assignment, @"^(\w+) = IF\(VALUES\(version\) > version, VALUES\((\w+)\), (\w+)\)$");
            Assert.True(match.Success, assignment);
            Assert.Equal(match.Groups[1].Value, match.Groups[2].Value);
            Assert.Equal(match.Groups[1].Value, match.Groups[3].Value);
        }

        Assert.Contains(assignments, a => a.StartsWith("deleted = ", StringComparison.Ordinal));
    }

    [Fact]
    public void TheRepairUpsertTakesEveryColumnFromTheUserSide()
    {
        var assignments = Assignments(MerchantCopySql.ForcedUpsert);

        Assert.Equal(Assignments(MerchantCopySql.GuardedUpsert).Select(a => a.Split(' ')[0]), assignments.Select(a => a.Split(' ')[0]));
        Assert.All(assignments, a => Assert.Matches(@"^(\w+) = VALUES\(\1\)$", a));
    }
}
