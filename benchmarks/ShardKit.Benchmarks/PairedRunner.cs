using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using BenchmarkDotNet.Attributes;

namespace ShardKit.Benchmarks;

/// <summary>
/// A paired check of the BenchmarkDotNet classes for a machine whose load changes from minute to minute: for each class
/// whose name contains the filter, each <c>[Params]</c> value and each category, it runs the class's own global setup,
/// then alternates blocks of the baseline method and of each other method (AB, BA, AB, ...), so that both see the same
/// load, and reports the median of the per-pair time ratios (method / baseline) with its 95 % confidence interval (order
/// statistics) and the interquartile range of the pairs; <c>--baseline Method</c> compares against another method of
/// the category instead. It adds no measurement of its own: the methods, setups and baselines are the suites'. Mean times
/// per operation are printed for orientation; bytes per operation are the median over the blocks of the process's
/// allocations (<see cref="GC.GetTotalAllocatedBytes(bool)"/>, every thread, as BenchmarkDotNet's in-process
/// <c>MemoryDiagnoser</c> counts them) divided by the block's operations.
/// </summary>
internal static class PairedRunner
{
    public static async Task<int> RunAsync(string[] args)
    {
        var filter = Option(args, "--filter") ?? "";
        var pairs = int.Parse(Option(args, "--pairs") ?? "200", CultureInfo.InvariantCulture);
        var blockMilliseconds = double.Parse(Option(args, "--block-ms") ?? "20", CultureInfo.InvariantCulture);
        var baselineName = Option(args, "--baseline");
        var types = typeof(PairedRunner).Assembly.GetTypes()
            .Where(t => t.IsPublic && t.GetMethods().Any(m => m.GetCustomAttribute<BenchmarkAttribute>() is not null))
            .Where(t => t.Name.Contains(filter.Trim('*'), StringComparison.OrdinalIgnoreCase))
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .ToList();
        if (types.Count == 0)
        {
            Console.Error.WriteLine($"No benchmark class matches '{filter}'.");
            return 1;
        }

        Console.WriteLine($"| Class | Params | Category | Method | Baseline | Baseline per op | Method per op | Median ratio | 95 % CI of the median | IQR of pairs | Pairs | Baseline B/op | Method B/op |");
        Console.WriteLine("|---|---|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var type in types)
        {
            foreach (var parameters in ParameterSets(type))
            {
                await RunClassAsync(type, parameters, pairs, blockMilliseconds, baselineName);
            }
        }

        return 0;
    }

    private static async Task RunClassAsync(
        Type type, IReadOnlyList<(PropertyInfo Property, object? Value)> parameters, int pairs, double blockMilliseconds, string? baselineName)
    {
        var instance = Activator.CreateInstance(type)!;
        foreach (var (property, value) in parameters)
        {
            property.SetValue(instance, value);
        }

        var label = string.Join(", ", parameters.Select(p => $"{p.Property.Name}={p.Value}"));
        Invoke(type, instance, typeof(GlobalSetupAttribute));
        try
        {
            var benchmarks = type.GetMethods()
                .Select(m => (Method: m, Attribute: m.GetCustomAttribute<BenchmarkAttribute>()))
                .Where(b => b.Attribute is not null)
                .GroupBy(b => b.Method.GetCustomAttribute<BenchmarkCategoryAttribute>()?.Categories.FirstOrDefault() ?? "");
            foreach (var group in benchmarks)
            {
                // --baseline names another method to compare against, in the categories that have it.
                var baseline = group.SingleOrDefault(b => b.Method.Name == baselineName) is { Method: not null } chosen ? chosen : group.Single(b => b.Attribute!.Baseline);
                foreach (var other in group.Where(b => b.Method != baseline.Method))
                {
                    var result = await CompareAsync(instance, baseline.Method, other.Method, pairs, blockMilliseconds);
                    var perOpBaseline = result.BaselineMicroseconds / baseline.Attribute!.OperationsPerInvoke;
                    var perOpOther = result.OtherMicroseconds / other.Attribute!.OperationsPerInvoke;
                    Console.WriteLine(string.Create(
                        CultureInfo.InvariantCulture,
                        $"| {type.Name} | {label} | {group.Key} | {other.Method.Name} | {baseline.Method.Name} | {perOpBaseline:0.0} us | {perOpOther:0.0} us | {result.Median:0.000} | {result.Low:0.000}–{result.High:0.000} | {result.Q1:0.000}–{result.Q3:0.000} | {pairs} | {result.BaselineBytes / baseline.Attribute.OperationsPerInvoke:0} | {result.OtherBytes / other.Attribute.OperationsPerInvoke:0} |"));
                }
            }
        }
        finally
        {
            Invoke(type, instance, typeof(GlobalCleanupAttribute));
        }
    }

    private static async Task<(double Median, double Low, double High, double Q1, double Q3, double BaselineMicroseconds, double OtherMicroseconds, double BaselineBytes, double OtherBytes)> CompareAsync(
        object instance, MethodInfo baseline, MethodInfo other, int pairs, double blockMilliseconds)
    {
        // Calls per block: enough for about blockMilliseconds of the baseline, measured after a warm-up of both.
        for (var i = 0; i < 20; i++)
        {
            await CallAsync(instance, baseline);
            await CallAsync(instance, other);
        }

        var probe = Stopwatch.StartNew();
        var probeCalls = 0;
        while (probe.Elapsed.TotalMilliseconds < blockMilliseconds * 2)
        {
            await CallAsync(instance, baseline);
            probeCalls++;
        }

        var calls = Math.Max(1, (int)(probeCalls / 2.0));
        var ratios = new double[pairs];
        var baselineBytes = new double[pairs];
        var otherBytes = new double[pairs];
        double baselineTicks = 0, otherTicks = 0;
        for (var p = 0; p < pairs; p++)
        {
            (double Ticks, double Bytes) a, b;
            if (p % 2 == 0)
            {
                a = await BlockAsync(instance, baseline, calls);
                b = await BlockAsync(instance, other, calls);
            }
            else
            {
                b = await BlockAsync(instance, other, calls);
                a = await BlockAsync(instance, baseline, calls);
            }

            baselineBytes[p] = a.Bytes / calls;
            otherBytes[p] = b.Bytes / calls;

            ratios[p] = b.Ticks / a.Ticks;
            baselineTicks += a.Ticks;
            otherTicks += b.Ticks;
        }

        Array.Sort(ratios);
        Array.Sort(baselineBytes);
        Array.Sort(otherBytes);
        var perCall = 1_000_000.0 / Stopwatch.Frequency / ((double)pairs * calls);
        // The median's 95 % confidence interval from order statistics: ranks n/2 -/+ 1.96 sqrt(n)/2.
        var half = 1.96 * Math.Sqrt(pairs) / 2;
        var low = ratios[Math.Clamp((int)Math.Floor((pairs / 2.0) - half), 0, pairs - 1)];
        var high = ratios[Math.Clamp((int)Math.Ceiling((pairs / 2.0) + half), 0, pairs - 1)];
        return (Quantile(ratios, 0.5), low, high, Quantile(ratios, 0.25), Quantile(ratios, 0.75), baselineTicks * perCall, otherTicks * perCall,
            Quantile(baselineBytes, 0.5), Quantile(otherBytes, 0.5));
    }

    private static async Task<(double Ticks, double Bytes)> BlockAsync(object instance, MethodInfo method, int calls)
    {
        var bytes = GC.GetTotalAllocatedBytes(precise: true);
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < calls; i++)
        {
            await CallAsync(instance, method);
        }

        var ticks = Stopwatch.GetTimestamp() - start;
        return (ticks, GC.GetTotalAllocatedBytes(precise: true) - bytes);
    }

    private static Task CallAsync(object instance, MethodInfo method) => method.Invoke(instance, null) switch
    {
        Task task => task,
        { } valueTask when valueTask.GetType().IsGenericType && valueTask.GetType().GetGenericTypeDefinition() == typeof(ValueTask<>) =>
            (Task)valueTask.GetType().GetMethod(nameof(ValueTask<int>.AsTask))!.Invoke(valueTask, null)!,
        ValueTask valueTask => valueTask.AsTask(),
        _ => Task.CompletedTask,
    };

    private static void Invoke(Type type, object instance, Type attribute)
    {
        foreach (var method in type.GetMethods().Where(m => m.GetCustomAttribute(attribute) is not null))
        {
            method.Invoke(instance, null);
        }
    }

    private static List<List<(PropertyInfo Property, object? Value)>> ParameterSets(Type type)
    {
        var sets = new List<List<(PropertyInfo, object?)>> { new() };
        foreach (var property in type.GetProperties().Where(p => p.GetCustomAttribute<ParamsAttribute>() is not null))
        {
            sets = sets.SelectMany(set => property.GetCustomAttribute<ParamsAttribute>()!.Values.Select(value => set.Append((property, value)).ToList())).ToList();
        }

        return sets;
    }

    private static double Quantile(double[] sorted, double q)
    {
        var position = (sorted.Length - 1) * q;
        var lower = (int)Math.Floor(position);
        var upper = Math.Min(lower + 1, sorted.Length - 1);
        return sorted[lower] + ((sorted[upper] - sorted[lower]) * (position - lower));
    }

    private static string? Option(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }
}
