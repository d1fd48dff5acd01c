using System.Diagnostics.Tracing;

namespace NlmonPS.Bench;

/// <summary>Adds up the runtime's allocation samples (GCAllocationTick, one per ~100 KB) by type.</summary>
internal sealed class AllocationListener : EventListener
{
    public Dictionary<string, long> Bytes { get; } = new();

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime") EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1);
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (e.EventName != "GCAllocationTick_V4" || e.Payload is null) return;
        int typeIndex = e.PayloadNames!.IndexOf("TypeName"), amountIndex = e.PayloadNames.IndexOf("AllocationAmount64");
        if (typeIndex < 0 || amountIndex < 0) return;
        var type = e.Payload[typeIndex] as string ?? "?";
        long amount = Convert.ToInt64(e.Payload[amountIndex], System.Globalization.CultureInfo.InvariantCulture);
        lock (Bytes) Bytes[type] = Bytes.GetValueOrDefault(type) + amount;
    }
}
