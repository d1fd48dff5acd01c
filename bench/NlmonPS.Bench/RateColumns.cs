using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace NlmonPS.Bench;

/// <summary>Rates per second and allocation per message, from the mean time of one operation over a <see cref="Workload"/>.</summary>
internal sealed class RateColumns : IColumn
{
    public sealed class Config : ManualConfig
    {
        public Config()
        {
            AddColumn(new RateColumns("Records/s", (b, w) => b is "Split" ? w.Records.Count : null));
            AddColumn(new RateColumns("Messages/s", (b, w) => b is "WalkAttributes" ? null : w.Messages));
            AddColumn(new RateColumns("Attrs/s", (b, w) => b switch
            {
                "WalkAttributes" => w.TopLevelAttributes,
                "Decode" or "DecodeComplete" or "DecodeAndReadAll" => w.Attributes,
                _ => null,
            }));
            AddColumn(new RateColumns("Alloc/msg", (_, _) => null, perMessageAllocation: true));
        }
    }

    private readonly Func<string, Workload, long?> _count;
    private readonly bool _allocation;

    private RateColumns(string name, Func<string, Workload, long?> count, bool perMessageAllocation = false)
    {
        ColumnName = name;
        _count = count;
        _allocation = perMessageAllocation;
    }

    public string Id => nameof(RateColumns) + "." + ColumnName;
    public string ColumnName { get; }
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => _allocation ? "Bytes allocated per decoded message" : $"{ColumnName.Split('/')[0]} handled per second";
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public bool IsAvailable(Summary summary) => true;
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var report = summary[benchmarkCase];
        if (report?.ResultStatistics is not { } stats) return "-";
        var fixture = benchmarkCase.Parameters["Fixture"] as string ?? "mix";
        var work = Workload.Load(fixture);
        string method = benchmarkCase.Descriptor.WorkloadMethod.Name;
        if (_allocation)
        {
            if (method is "Split" or "WalkAttributes") return "-";
            var bytes = report.GcStats.GetBytesAllocatedPerOperation(benchmarkCase);
            return bytes is long b ? $"{b / (double)work.Messages:N0} B" : "-";
        }
        if (_count(method, work) is not long n) return "-";
        double perSecond = n / (stats.Mean / 1e9);
        return perSecond >= 1e6 ? $"{perSecond / 1e6:N2} M" : $"{perSecond / 1e3:N0} k";
    }

    public override string ToString() => ColumnName;
}
