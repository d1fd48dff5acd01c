using NlmonPS.Decoding;

namespace NlmonPS.Capture;

/// <summary>
/// Every message of a capture file, decoded in order, one at a time: for cmdlets that read files to do something
/// else with the messages (transactions, drops). One decoder can carry on across files, so what one file taught
/// (generic family ids, interface names) holds in the next, as for a rotated capture.
/// </summary>
public static class CaptureMessages
{
    /// <summary>The messages of a file. Throws <see cref="CaptureFileException"/> (after the messages read before the fault).</summary>
    public static IEnumerable<NetlinkMessage> Read(string path, NetlinkDecoder decoder)
    {
        using var reader = NetlinkCaptureReader.Open(path);
        var decoded = new List<NetlinkMessage>();
        while (reader.ReadNext() is { } record)
        {
            decoded.Clear();
            decoder.Decode(record, null, decoded);
            foreach (var message in decoded) yield return message;
        }
    }
}
