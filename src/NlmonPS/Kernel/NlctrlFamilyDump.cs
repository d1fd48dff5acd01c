using System.Text;
using NlmonPS.Wire;

namespace NlmonPS.Kernel;

/// <summary>
/// Asks the running kernel for every generic netlink family (nlctrl CTRL_CMD_GETFAMILY dump), so a live capture
/// names families whose ids were resolved before it started (by programs that looked them up long ago).
/// </summary>
public static class NlctrlFamilyDump
{
    private const ushort GENL_ID_CTRL = 16;
    private const byte CTRL_CMD_GETFAMILY = 3;
    private const ushort CTRL_ATTR_FAMILY_ID = 1;
    private const ushort CTRL_ATTR_FAMILY_NAME = 2;

    /// <summary>Family id to name, from the kernel of the calling thread's namespace.</summary>
    public static Dictionary<int, string> Query()
    {
        using var socket = new NetlinkSocket(NetlinkProtocol.Generic);
        var request = new MessageBuilder(GENL_ID_CTRL, Nl.NLM_F_DUMP, 0, socket.PortId).AddBytes(new byte[] { CTRL_CMD_GETFAMILY, 1, 0, 0 });
        var families = new Dictionary<int, string>();
        foreach (var m in socket.Request(request, "nlctrl CTRL_CMD_GETFAMILY dump"))
        {
            if (m.Type != GENL_ID_CTRL || m.Bytes.Length < Nl.HeaderLength + 4) continue;
            var attributes = new List<RawAttribute>();
            AttributeWalker.Walk(m.Bytes.AsMemory(Nl.HeaderLength + 4), Nl.HeaderLength + 4, Endian.Host, attributes);
            int? id = null;
            string? name = null;
            foreach (var a in attributes)
            {
                var p = a.Payload.Span;
                if (a.Type == CTRL_ATTR_FAMILY_ID && p.Length >= 2) id = BitConverter.ToUInt16(p);
                else if (a.Type == CTRL_ATTR_FAMILY_NAME) name = Encoding.UTF8.GetString(p.IndexOf((byte)0) is var z and >= 0 ? p[..z] : p);
            }
            if (id is int i && !string.IsNullOrEmpty(name)) families[i] = name;
        }
        return families;
    }
}
