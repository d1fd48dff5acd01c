using System.Management.Automation;
using NlmonPS.Decoding;
using NlmonPS.Wire;

namespace NlmonPS.Cmdlets;

/// <summary>
/// Turns a deserialized message (Import-Clixml, remoting: a property bag named Deserialized.NlmonPS.Decoding.NetlinkMessage)
/// back into a <see cref="NetlinkMessage"/>, decoded again from its Bytes with the record facts it carried (time,
/// direction, protocol, source, record number and length, link header). NlmonPS.Types.ps1xml names it as the
/// rehydration target, so Import-Clixml gives real messages wherever the module is loaded; remoting's results stay
/// property bags (measured: Invoke-Command -HostName with the module imported on both sides), which Export-NetlinkPcap
/// and the other cmdlets that take messages rebuild through it.
/// </summary>
public sealed class NetlinkMessageConverter : DeserializedConverter<NetlinkMessage>
{
    protected override NetlinkMessage? Rebuild(PSObject p) => FromDeserialized(p, null);
    protected override string Missing => "it carries no netlink message bytes";

    internal static bool IsDeserializedMessage(PSObject p) => IsDeserialized(p);

    /// <summary>A message from pipeline input: the object itself, or one rebuilt from its deserialized form; null for anything else.</summary>
    /// <remarks>Anything PowerShell converts to one counts too: a PacketDrop is its NET_DM alert message.</remarks>
    internal static NetlinkMessage? From(PSObject input)
    {
        if (input.BaseObject is NetlinkMessage message) return message;
        if (IsDeserializedMessage(input)) return FromDeserialized(input, null);
        return input.BaseObject is not (string or ValueType) && LanguagePrimitives.TryConvertTo(input.BaseObject, out NetlinkMessage? converted) ? converted : null;
    }

    // One decoder per thread: rehydrated messages decode alone (their generic family comes from their own Family).
    [ThreadStatic] private static byte[]? t_zeros;

    internal static NetlinkMessage? FromDeserialized(PSObject p, string? computerName)
    {
        if (Value(p, "Bytes") is not byte[] bytes || bytes.Length < Nl.HeaderLength) return null;
        if (!TryEnum(Value(p, "Protocol"), out NetlinkProtocol protocol)) return null;
        TryEnum(Value(p, "Direction"), out NetlinkDirection direction);
        TryEnum(Value(p, "ByteOrder"), out ByteOrder order);
        int recordLength = Math.Max(bytes.Length, Int(Value(p, "RecordLength")) ?? bytes.Length);
        // The message never reads its record's data, only its length: a shared run of zeros stands for it.
        var zeros = t_zeros is { } z && z.Length >= recordLength ? z : t_zeros = new byte[Math.Max(recordLength, 65536)];
        UInt128 linkHeader = default;
        if (Value(p, "LinkHeader") is byte[] { Length: 16 } h) linkHeader = System.Runtime.InteropServices.MemoryMarshal.Read<UInt128>(h);
        var record = new NetlinkRecord(zeros.AsMemory(0, recordLength), protocol)
        {
            Timestamp = Time(p.Properties["Timestamp"]?.Value),
            Direction = direction,
            Source = Value(p, "Source") as string,
            RecordNumber = Int(Value(p, "RecordNumber")) ?? 0,
            ProcessId = Int(Value(p, "ProcessId")),
            ProcessName = Value(p, "ProcessName") as string,
            ThreadId = Int(Value(p, "ThreadId")),
            LinkHeader = linkHeader,
            ComputerName = Value(p, "ComputerName") as string ?? computerName ?? Value(p, "PSComputerName") as string,
            NetNamespace = Value(p, "NetNamespace") as string,
            Device = Value(p, "Device") as string,
        };
        // Bytes are as the source chose to send them (key material zeroed there unless revealed): not redacted twice.
        var families = Value(p, "Family") is string family && protocol == NetlinkProtocol.Generic && !family.StartsWith("genl(", StringComparison.Ordinal)
            ? new Dictionary<int, string> { [NetlinkHeader.Read(bytes, order).Type] = family }
            : null;
        var decoder = new NetlinkDecoder(new DecodeOptions { RevealSecrets = true, ByteOrder = order, GenericFamilies = families });
        var raws = NetlinkMessageSplitter.Split(bytes, order);
        if (raws.Count == 0) return null;
        var message = decoder.DecodeMessage(raws[0], record, order, Int(Value(p, "Index")) ?? 0);
        message.IsLastInRecord = Value(p, "IsLastInRecord") is bool last ? last : true;
        if (Value(p, "DirectionInferred") is true) message.DirectionInferred = true;
        if (Value(p, "Summary") is string summary) message.KeepSummary(summary);
        return message;
    }

    internal static object? Value(PSObject p, string name) => p.Properties[name]?.Value is { } v ? v is PSObject w ? w.BaseObject : v : null;

    internal static int? Int(object? v) => v switch
    {
        null => null,
        int i => i,
        long l => (int)l,
        _ => int.TryParse(Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture), out int n) ? n : null,
    };

    internal static bool TryEnum<T>(object? v, out T value) where T : struct, Enum
    {
        value = default;
        if (v is null) return false;
        if (v is T t) { value = t; return true; }
        return LanguagePrimitives.TryConvertTo(v, out value);
    }

    /// <summary>DateTimeOffset itself, its deserialized property bag (UtcTicks), or its text.</summary>
    internal static DateTimeOffset Time(object? v) => v switch
    {
        DateTimeOffset d => d,
        DateTime d => new DateTimeOffset(d.ToUniversalTime(), TimeSpan.Zero),
        PSObject { BaseObject: DateTimeOffset d } => d,
        PSObject bag when bag.Properties["UtcTicks"]?.Value is long ticks => new DateTimeOffset(ticks, TimeSpan.Zero),
        PSObject bag when bag.Properties["UtcTicks"]?.Value is PSObject { BaseObject: long ticks } => new DateTimeOffset(ticks, TimeSpan.Zero),
        string s when DateTimeOffset.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var d) => d,
        _ => default,
    };
}
