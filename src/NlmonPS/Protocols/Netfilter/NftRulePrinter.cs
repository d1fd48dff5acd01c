using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using NlmonPS.Decoding;
using NlmonPS.Wire;

namespace NlmonPS.Protocols.Netfilter;

/// <summary>
/// Turns a rule's expression list back into nft's rule syntax, approximately: loads (meta, payload, ct, fib...) name
/// what a register holds, the statements that read registers (cmp, lookup, range, set, nat...) print it, and a
/// protocol match that only guards the next payload match (meta l4proto tcp before tcp dport) is dropped, as nft does.
/// Expressions without a printer here print their name.
/// </summary>
internal sealed class NftRulePrinter
{
    /// <summary>What a register holds: a loaded field, or raw bytes from an immediate.</summary>
    /// <param name="Dependency">"l3"/"l4": a match on it names the network/transport protocol (and may guard a payload match).</param>
    /// <param name="Protocol">The protocol a payload field belongs to ("l4:tcp"): its guard match is dropped.</param>
    /// <param name="PrefixBits">A prefix match loads only the prefix's bytes of an address (ip saddr 192.0.2.0/24 loads 3).</param>
    private sealed record Loaded(string Field, NftType Type, string? Dependency = null, byte[]? Mask = null, string? Protocol = null, int PrefixBits = -1, int FullLength = 0);

    private sealed record Statement(string Text, string? Dependency = null);

    private readonly Dictionary<int, object> _registers = new();
    private readonly List<Statement> _statements = new();
    private readonly string _family;
    private readonly ByteOrder _order;
    private string? _network;   // "ip"/"ip6" once known (table family or a nfproto match)
    private string? _transport; // "tcp"/"udp"... once a l4proto or ip protocol match said so

    private NftRulePrinter(string family, ByteOrder order)
    {
        _family = family;
        _order = order;
        _network = family is "ip" or "ip6" ? family : null;
    }

    public static string Print(NetlinkFields[] expressions, string family, ByteOrder order)
    {
        var printer = new NftRulePrinter(family, order);
        foreach (var e in expressions)
        {
            var name = e["name"] as string ?? "?";
            var data = e["data"] as NetlinkFields ?? NetlinkFields.Empty;
            if (Printers.TryGetValue(name, out var print)) print(printer, data);
            else printer.Add(name);
        }
        return string.Join(" ", printer._statements.Select(s => s.Text));
    }

    private void Add(string text, string? dependency = null) => _statements.Add(new Statement(text, dependency));

    /// <summary>Drops the latest guard match for this protocol (nft prints "tcp dport 22", not "meta l4proto tcp tcp dport 22").</summary>
    private void Consume(string? dependency)
    {
        if (dependency is null) return;
        for (int i = _statements.Count - 1; i >= 0; i--)
        {
            if (_statements[i].Dependency == dependency) { _statements.RemoveAt(i); return; }
        }
    }

    private static readonly Dictionary<string, int> RegisterIndex = NftEnums.Registers.ToDictionary(p => p.Value, p => (int)p.Key);

    /// <summary>Registers by their 32-bit slot: NFT_REG_1 is NFT_REG32_00..03.</summary>
    private static int Slot(object? register) => register switch
    {
        string s when RegisterIndex.TryGetValue(s, out var n) => n is >= 1 and <= 4 ? (n - 1) * 4 : n >= 8 ? n - 8 : -1 - n,
        uint n => n is >= 1 and <= 4 ? (int)(n - 1) * 4 : n >= 8 ? (int)n - 8 : -1 - (int)n,
        _ => -100,
    };

    private void Load(NetlinkFields d, string dregName, Loaded value) => _registers[Slot(d[dregName])] = value;

    private object? Read(NetlinkFields d, string sregName) => _registers.GetValueOrDefault(Slot(d[sregName]));

    private static byte[] Value(NetlinkFields? data) => data?["value"] as byte[] ?? Array.Empty<byte>();

    private static string OpPrefix(object? op) => op switch
    {
        "neq" => "!= ", "lt" => "< ", "lte" => "<= ", "gt" => "> ", "gte" => ">= ", _ => "",
    };

    private string Show(object? register, NftType fallback) => register switch
    {
        Loaded l => l.Field,
        byte[] bytes => fallback.Format(bytes, _order),
        _ => "?",
    };

    // ---- loads ----

    /// <summary>meta keys: nft's name (iif, oif, iifname, oifname print unqualified), datatype, and whether it guards a payload match.</summary>
    private static readonly Dictionary<string, (string Field, NftType Type, string? Dependency)> MetaKeys = new()
    {
        ["l4proto"] = ("meta l4proto", NftType.Proto, "l4"), ["nfproto"] = ("meta nfproto", NftType.NfProto, "l3"),
        ["protocol"] = ("meta protocol", NftType.EtherType, "l3"), ["mark"] = ("meta mark", NftType.Mark, null),
        ["iif"] = ("iif", NftType.HostInteger, null), ["oif"] = ("oif", NftType.HostInteger, null),
        ["iifname"] = ("iifname", NftType.IfName, null), ["oifname"] = ("oifname", NftType.IfName, null),
        ["iifgroup"] = ("iifgroup", NftType.HostInteger, null), ["oifgroup"] = ("oifgroup", NftType.HostInteger, null),
        ["pkttype"] = ("meta pkttype", NftType.PktType, null), ["ipsec"] = ("meta ipsec", NftType.Boolean, null),
        ["iifkind"] = ("meta iifkind", NftType.IfName, null), ["oifkind"] = ("meta oifkind", NftType.IfName, null),
        ["ibrname"] = ("meta ibrname", NftType.IfName, null), ["obrname"] = ("meta obrname", NftType.IfName, null),
        ["sdifname"] = ("meta sdifname", NftType.IfName, null),
    };

    private void Meta(NetlinkFields d)
    {
        var key = d["key"] is string k ? k : NetlinkFields.Format(d["key"]);
        var (field, type, dependency) = MetaKeys.TryGetValue(key, out var m) ? m : ("meta " + key, NftType.HostInteger, null);
        if (d.Contains("dreg")) Load(d, "dreg", new Loaded(field, type, dependency));
        else Add($"{field} set {Show(Read(d, "sreg"), type)}");
    }

    private static readonly Dictionary<string, NftType> CtKeys = new()
    {
        ["state"] = NftType.CtState, ["direction"] = NftType.CtDir, ["status"] = NftType.CtStatus, ["mark"] = NftType.Mark,
        ["l3proto"] = NftType.NfProto, ["protocol"] = NftType.Proto, ["proto-src"] = NftType.Service, ["proto-dst"] = NftType.Service,
        ["saddr"] = NftType.Ipv4, ["daddr"] = NftType.Ipv4, ["ip saddr"] = NftType.Ipv4, ["ip daddr"] = NftType.Ipv4,
        ["ip6 saddr"] = NftType.Ipv6, ["ip6 daddr"] = NftType.Ipv6,
    };

    private void Ct(NetlinkFields d)
    {
        var key = d["key"] is string k ? k : NetlinkFields.Format(d["key"]);
        var field = d["direction"] is string dir ? $"ct {dir} {key}" : $"ct {key}";
        var type = CtKeys.GetValueOrDefault(key, NftType.HostInteger);
        if (d.Contains("dreg")) Load(d, "dreg", new Loaded(field, type));
        else Add($"{field} set {Show(Read(d, "sreg"), type)}");
    }

    /// <summary>Payload fields by header, offset and length (bytes), with their datatypes.</summary>
    private static readonly Dictionary<(string Header, uint Offset, uint Length), (string Name, NftType Type)> PayloadFields = new()
    {
        [("ether", 0, 6)] = ("daddr", NftType.Ether), [("ether", 6, 6)] = ("saddr", NftType.Ether), [("ether", 12, 2)] = ("type", NftType.EtherType),
        [("ip", 2, 2)] = ("length", NftType.Integer), [("ip", 4, 2)] = ("id", NftType.Integer), [("ip", 8, 1)] = ("ttl", NftType.Integer),
        [("ip", 9, 1)] = ("protocol", NftType.Proto), [("ip", 10, 2)] = ("checksum", NftType.Integer),
        [("ip", 12, 4)] = ("saddr", NftType.Ipv4), [("ip", 16, 4)] = ("daddr", NftType.Ipv4),
        [("ip6", 4, 2)] = ("length", NftType.Integer), [("ip6", 6, 1)] = ("nexthdr", NftType.Proto), [("ip6", 7, 1)] = ("hoplimit", NftType.Integer),
        [("ip6", 8, 16)] = ("saddr", NftType.Ipv6), [("ip6", 24, 16)] = ("daddr", NftType.Ipv6),
        [("tcp", 0, 2)] = ("sport", NftType.Service), [("tcp", 2, 2)] = ("dport", NftType.Service), [("tcp", 4, 4)] = ("sequence", NftType.Integer),
        [("tcp", 8, 4)] = ("ackseq", NftType.Integer), [("tcp", 13, 1)] = ("flags", NftType.TcpFlag), [("tcp", 14, 2)] = ("window", NftType.Integer),
        [("udp", 0, 2)] = ("sport", NftType.Service), [("udp", 2, 2)] = ("dport", NftType.Service), [("udp", 4, 2)] = ("length", NftType.Integer),
        [("udplite", 0, 2)] = ("sport", NftType.Service), [("udplite", 2, 2)] = ("dport", NftType.Service),
        [("sctp", 0, 2)] = ("sport", NftType.Service), [("sctp", 2, 2)] = ("dport", NftType.Service),
        [("dccp", 0, 2)] = ("sport", NftType.Service), [("dccp", 2, 2)] = ("dport", NftType.Service),
        [("th", 0, 2)] = ("sport", NftType.Service), [("th", 2, 2)] = ("dport", NftType.Service),
        [("icmp", 0, 1)] = ("type", NftType.IcmpType), [("icmp", 1, 1)] = ("code", NftType.Integer),
        [("icmp", 4, 2)] = ("id", NftType.Integer), [("icmp", 6, 2)] = ("sequence", NftType.Integer),
        [("icmpv6", 0, 1)] = ("type", NftType.Icmp6Type), [("icmpv6", 1, 1)] = ("code", NftType.Integer),
    };

    private static readonly Dictionary<string, string> RawBase = new() { ["link"] = "@ll", ["network"] = "@nh", ["transport"] = "@th", ["inner"] = "@ih" };

    private void Payload(NetlinkFields d)
    {
        var @base = d["base"] as string;
        uint offset = d["offset"] is uint o ? o : 0, length = d["len"] is uint l ? l : 0;
        string? header = @base switch
        {
            "link" => "ether",
            "network" => _network,
            "transport" => _transport ?? "th",
            _ => null,
        };
        Loaded loaded;
        if (header is not null && PayloadFields.TryGetValue((header, offset, length), out var f))
            loaded = new Loaded($"{header} {f.Name}", f.Type,
                header == "ip" && f.Name == "protocol" || header == "ip6" && f.Name == "nexthdr" ? "l4" : header == "ether" && f.Name == "type" ? "l3" : null,
                Protocol: @base == "network" ? "l3:" + header : @base == "transport" ? "l4:" + header : null);
        else if (header is not null && PayloadFields.FirstOrDefault(p => p.Key.Header == header && p.Key.Offset == offset && p.Key.Length > length
                     && (p.Value.Type == NftType.Ipv4 || p.Value.Type == NftType.Ipv6)) is { Key.Header: not null } wider)
            loaded = new Loaded($"{header} {wider.Value.Name}", wider.Value.Type, Protocol: "l3:" + header, PrefixBits: (int)length * 8, FullLength: (int)wider.Key.Length);
        else
            loaded = new Loaded($"{RawBase.GetValueOrDefault(@base ?? "", "@?")},{offset * 8},{length * 8}", NftType.Integer);
        if (d.Contains("dreg")) Load(d, "dreg", loaded);
        else Add($"{loaded.Field} set {Show(Read(d, "sreg"), loaded.Type)}");
    }

    private void Fib(NetlinkFields d)
    {
        var flags = d["flags"] as string[] ?? Array.Empty<string>();
        var keys = flags.Where(f => f is not "present").ToArray();
        var result = d["result"] as string ?? "?";
        var type = result switch { "type" => NftType.FibAddrType, "oifname" => NftType.IfName, _ => NftType.HostInteger };
        if (flags.Contains("present")) type = NftType.Boolean;
        Load(d, "dreg", new Loaded($"fib {string.Join(" . ", keys)} {result}", type));
    }

    // ---- statements that read registers ----

    private void Cmp(NetlinkFields d)
    {
        var value = Value(d["data"] as NetlinkFields);
        if (Read(d, "sreg") is not Loaded lhs) { Add($"@reg {OpPrefix(d["op"])}0x{Convert.ToHexString(value).ToLowerInvariant()}"); return; }
        Consume(lhs.Protocol);
        string text;
        if (lhs.Mask is { } mask)
        {
            bool zero = value.All(b => b == 0);
            int prefix = PrefixLength(mask);
            if (zero && d["op"] is "neq") text = $"{lhs.Field} {lhs.Type.Format(mask, _order)}";
            else if (prefix >= 0 && (lhs.Type == NftType.Ipv4 || lhs.Type == NftType.Ipv6)) text = $"{lhs.Field} {OpPrefix(d["op"])}{lhs.Type.Format(value, _order)}/{prefix}";
            else text = $"{lhs.Field} & 0x{Convert.ToHexString(mask).ToLowerInvariant()} {(d["op"] is "eq" ? "==" : OpPrefix(d["op"]).Trim())} {lhs.Type.Format(value, _order)}";
            Add(text);
            return;
        }
        if (lhs.PrefixBits >= 0)
        {
            var full = new byte[lhs.FullLength];
            value.AsSpan(0, Math.Min(value.Length, full.Length)).CopyTo(full);
            Add($"{lhs.Field} {OpPrefix(d["op"])}{lhs.Type.Format(full, _order)}/{lhs.PrefixBits}");
            return;
        }
        text = $"{lhs.Field} {OpPrefix(d["op"])}{lhs.Type.Format(value, _order)}";
        // A protocol match remembers the protocol; when it is the match nft itself adds to guard a payload match
        // (meta l4proto; meta nfproto in inet), the payload match drops it later. A typed "ip protocol" stays.
        string? dependency = null;
        if (lhs.Dependency == "l4" && d["op"] is "eq")
        {
            var proto = NftType.Proto.Format(value, _order);
            _transport = proto == "ipv6-icmp" ? "icmpv6" : proto;
            if (lhs.Field == "meta l4proto") dependency = "l4:" + _transport;
        }
        else if (lhs.Dependency == "l3" && d["op"] is "eq")
        {
            var l3 = lhs.Type.Format(value, _order);
            _network = l3 switch { "ipv4" => "ip", "ipv6" => "ip6", _ => l3 };
            if (lhs.Field == _family switch { "inet" => "meta nfproto", "bridge" => "ether type", _ => "meta protocol" }) dependency = "l3:" + _network;
        }
        Add(text, dependency);
    }

    /// <summary>The prefix length of a mask of leading ones, or -1.</summary>
    private static int PrefixLength(byte[] mask)
    {
        int bits = 0;
        bool ended = false;
        foreach (var b in mask)
        {
            for (int i = 7; i >= 0; i--)
            {
                bool one = (b >> i & 1) != 0;
                if (one && ended) return -1;
                if (one) bits++; else ended = true;
            }
        }
        return bits;
    }

    private void Bitwise(NetlinkFields d)
    {
        var source = Read(d, "sreg");
        if (source is Loaded l && d["op"] is "mask_xor" or null && Value(d["xor"] as NetlinkFields).All(b => b == 0))
            Load(d, "dreg", l with { Mask = Value(d["mask"] as NetlinkFields) });
        else if (source is Loaded s)
            Load(d, "dreg", s with { Field = $"{s.Field} {d["op"]}" });
    }

    private void Range(NetlinkFields d)
    {
        if (Read(d, "sreg") is not Loaded lhs) { Add("range"); return; }
        Consume(lhs.Protocol);
        var from = Value(d["from_data"] as NetlinkFields);
        var to = Value(d["to_data"] as NetlinkFields);
        Add($"{lhs.Field} {OpPrefix(d["op"])}{lhs.Type.Format(from, _order)}-{lhs.Type.Format(to, _order)}");
    }

    private void Lookup(NetlinkFields d)
    {
        var lhs = Read(d, "sreg") as Loaded;
        Consume(lhs?.Protocol);
        bool inverted = d["flags"] is string[] f && f.Contains("inv");
        var field = lhs?.Field ?? "?";
        var set = "@" + d["set"];
        if (!d.Contains("dreg")) { Add($"{field} {(inverted ? "!= " : "")}{set}"); return; }
        if (Slot(d["dreg"]) < 0) Add($"{field} vmap {set}");
        else Load(d, "dreg", new Loaded($"{field} map {set}", NftType.Integer));
    }

    private void Immediate(NetlinkFields d)
    {
        var data = d["data"] as NetlinkFields;
        if (data?["verdict"] is NetlinkFields verdict)
        {
            var code = NetlinkFields.Format(verdict["code"]);
            Add(verdict["chain"] is string chain ? $"{code} {chain}" : code);
            return;
        }
        _registers[Slot(d["dreg"])] = Value(data);
    }

    private void Counter(NetlinkFields d) =>
        Add(d["packets"] is ulong p && d["bytes"] is ulong b ? $"counter packets {p} bytes {b}" : "counter");

    private void Log(NetlinkFields d)
    {
        var parts = new List<string> { "log" };
        if (d["prefix"] is string prefix) parts.Add($"prefix \"{prefix}\"");
        if (d["group"] is ushort group) parts.Add($"group {group}");
        if (d["snaplen"] is uint snaplen) parts.Add($"snaplen {snaplen}");
        if (d["qthreshold"] is ushort qthreshold) parts.Add($"queue-threshold {qthreshold}");
        if (d["level"] is string level && level != "warn") parts.Add($"level {level}");
        if (d["flags"] is string[] { Length: > 0 } flags) parts.Add($"flags {string.Join(",", flags)}");
        Add(string.Join(" ", parts));
    }

    private static readonly Dictionary<ulong, string> TimeUnits = new() { [1] = "second", [60] = "minute", [3600] = "hour", [86400] = "day", [604800] = "week" };

    /// <summary>Bytes in the largest unit that divides them, as nft prints quotas and byte rates.</summary>
    private static string Bytes(ulong n)
    {
        string[] units = { "bytes", "kbytes", "mbytes", "gbytes" };
        int u = 0;
        while (u < units.Length - 1 && n != 0 && n % 1024 == 0) { n /= 1024; u++; }
        return $"{n} {units[u]}";
    }

    private void Limit(NetlinkFields d)
    {
        ulong rate = d["rate"] is ulong r ? r : 0, unit = d["unit"] is ulong u ? u : 1;
        uint burst = d["burst"] is uint b ? b : 0;
        bool bytes = d["type"] is "bytes";
        bool over = d["flags"] is string[] f && f.Contains("inv");
        var per = TimeUnits.GetValueOrDefault(unit, $"{unit} seconds");
        var text = $"limit rate {(over ? "over " : "")}{(bytes ? Bytes(rate) : rate.ToString(CultureInfo.InvariantCulture))}/{per}";
        if (bytes ? burst != 0 : burst != 0 && burst != 5) text += bytes ? $" burst {Bytes(burst)}" : $" burst {burst} packets";
        Add(text);
    }

    private void Quota(NetlinkFields d)
    {
        bool over = d["flags"] is string[] f && f.Contains("inv");
        var text = $"quota {(over ? "over " : "")}{Bytes(d["bytes"] is ulong b ? b : 0)}";
        if (d["consumed"] is ulong used && used != 0) text += $" used {Bytes(used)}";
        Add(text);
    }

    private void Objref(NetlinkFields d)
    {
        var type = NetlinkFields.Format(d["imm_type"]);
        if (d["imm_name"] is string name) Add($"{type} name \"{name}\"");
        else Add($"{type} name {(Read(d, "set_sreg") as Loaded)?.Field ?? "?"} map @{d["set_name"]}");
    }

    private static readonly Dictionary<(string Type, byte Code), string> RejectCodes = new()
    {
        [("icmpx", 0)] = "no-route", [("icmpx", 1)] = "port-unreachable", [("icmpx", 2)] = "host-unreachable", [("icmpx", 3)] = "admin-prohibited",
        [("icmp", 0)] = "net-unreachable", [("icmp", 1)] = "host-unreachable", [("icmp", 2)] = "prot-unreachable", [("icmp", 3)] = "port-unreachable",
        [("icmp", 9)] = "net-prohibited", [("icmp", 10)] = "host-prohibited", [("icmp", 13)] = "admin-prohibited",
        [("icmpv6", 0)] = "no-route", [("icmpv6", 1)] = "admin-prohibited", [("icmpv6", 3)] = "addr-unreachable", [("icmpv6", 4)] = "port-unreachable",
    };

    private void Reject(NetlinkFields d)
    {
        if (d["type"] is "tcp reset") { Add("reject with tcp reset"); return; }
        var kind = d["type"] is "icmpx" ? "icmpx" : _family == "ip6" || _network == "ip6" ? "icmpv6" : "icmp";
        byte code = d["icmp_code"] is byte c ? c : (byte)0;
        // port-unreachable is the default (icmpx in inet and bridge, icmp/icmpv6 elsewhere): nft prints a bare "reject".
        bool isDefault = kind == "icmpx" ? code == 1 : kind == "icmp" ? code == 3 : code == 4;
        Add(isDefault ? "reject" : $"reject with {kind} {RejectCodes.GetValueOrDefault((kind, code), code.ToString(CultureInfo.InvariantCulture))}");
    }

    private string Address(NetlinkFields d, string min, string max)
    {
        string Format(object? reg) => reg switch
        {
            byte[] { Length: 4 } v4 => new IPAddress(v4).ToString(),
            byte[] { Length: 16 } v6 => new IPAddress(v6).ToString(),
            Loaded l => l.Field,
            byte[] other => NftType.Integer.Format(other, _order),
            _ => "?",
        };
        if (!d.Contains(min)) return "";
        var lo = Format(Read(d, min));
        var hi = d.Contains(max) ? Format(Read(d, max)) : lo;
        return lo == hi ? lo : $"{lo}-{hi}";
    }

    private string Port(NetlinkFields d, string min, string max)
    {
        string Format(object? reg) => reg switch
        {
            byte[] { Length: >= 2 } v => BinaryPrimitives.ReadUInt16BigEndian(v).ToString(CultureInfo.InvariantCulture),
            Loaded l => l.Field,
            _ => "?",
        };
        if (!d.Contains(min)) return "";
        var lo = Format(Read(d, min));
        var hi = d.Contains(max) ? Format(Read(d, max)) : lo;
        return lo == hi ? lo : $"{lo}-{hi}";
    }

    private static string NatFlags(NetlinkFields d) =>
        d["flags"] is string[] flags ? string.Join(",", flags.Where(f => f is "random" or "fully-random" or "persistent")) : "";

    private void Nat(NetlinkFields d)
    {
        var type = NetlinkFields.Format(d["type"]);
        var family = _family is "inet" && d["family"] is string f ? (f == "ipv4" ? " ip" : f == "ipv6" ? " ip6" : "") : "";
        var address = Address(d, "reg_addr_min", "reg_addr_max");
        var port = Port(d, "reg_proto_min", "reg_proto_max");
        if (address.Contains(':') && port.Length > 0) address = $"[{address}]";
        var to = address.Length > 0 || port.Length > 0 ? $" to {address}{(port.Length > 0 ? ":" + port : "")}" : "";
        Add(Summaries.Join($"{type}{family}{to}", NatFlags(d)));
    }

    private void Redirect(string verb, NetlinkFields d)
    {
        var port = Port(d, "reg_proto_min", "reg_proto_max");
        Add(Summaries.Join(verb + (port.Length > 0 ? $" to :{port}" : ""), NatFlags(d)));
    }

    private void Queue(NetlinkFields d)
    {
        ushort num = d["num"] is ushort n ? n : (ushort)0, total = d["total"] is ushort t ? t : (ushort)1;
        var flags = d["flags"] is string[] { Length: > 0 } f ? " " + string.Join(",", f) : "";
        Add(total > 1 ? $"queue num {num}-{num + total - 1}{flags}" : $"queue num {num}{flags}");
    }

    private void Dynset(NetlinkFields d)
    {
        var key = (Read(d, "sreg_key") as Loaded)?.Field ?? "?";
        var timeout = d["timeout"] is ulong ms && ms != 0 ? $" timeout {ms / 1000}s" : "";
        Add($"{d["op"]} @{d["set_name"]} {{ {key}{timeout} }}");
    }

    /// <summary>How each expression prints (by NFTA_EXPR_NAME).</summary>
    private static readonly Dictionary<string, Action<NftRulePrinter, NetlinkFields>> Printers = new()
    {
        ["meta"] = (p, d) => p.Meta(d),
        ["ct"] = (p, d) => p.Ct(d),
        ["payload"] = (p, d) => p.Payload(d),
        ["fib"] = (p, d) => p.Fib(d),
        ["cmp"] = (p, d) => p.Cmp(d),
        ["bitwise"] = (p, d) => p.Bitwise(d),
        ["range"] = (p, d) => p.Range(d),
        ["lookup"] = (p, d) => p.Lookup(d),
        ["immediate"] = (p, d) => p.Immediate(d),
        ["counter"] = (p, d) => p.Counter(d),
        ["log"] = (p, d) => p.Log(d),
        ["limit"] = (p, d) => p.Limit(d),
        ["quota"] = (p, d) => p.Quota(d),
        ["objref"] = (p, d) => p.Objref(d),
        ["reject"] = (p, d) => p.Reject(d),
        ["nat"] = (p, d) => p.Nat(d),
        ["masq"] = (p, d) => p.Redirect("masquerade", d),
        ["redir"] = (p, d) => p.Redirect("redirect", d),
        ["queue"] = (p, d) => p.Queue(d),
        ["dynset"] = (p, d) => p.Dynset(d),
        ["notrack"] = (p, d) => p.Add("notrack"),
        ["connlimit"] = (p, d) => p.Add($"ct count {(d["flags"] is string[] f && f.Contains("inv") ? "over " : "")}{d["count"]}"),
        ["match"] = (p, d) => p.Add($"xt match \"{d["name"]}\""),
        ["target"] = (p, d) => p.Add($"xt target \"{d["name"]}\""),
        ["rt"] = (p, d) => p.Load(d, "dreg", new Loaded($"rt {d["key"]}", NftType.Integer)),
        ["socket"] = (p, d) => p.Load(d, "dreg", new Loaded($"socket {d["key"]}", NftType.HostInteger)),
        ["osf"] = (p, d) => p.Load(d, "dreg", new Loaded("osf name", NftType.IfName)),
        ["numgen"] = (p, d) => p.Load(d, "dreg", new Loaded($"numgen {d["type"]} mod {d["modulus"]}", NftType.HostInteger)),
        ["hash"] = (p, d) => p.Load(d, "dreg", new Loaded($"{d["type"]} {(p.Read(d, "sreg") as Loaded)?.Field} mod {d["modulus"]}", NftType.HostInteger)),
        ["flow_offload"] = (p, d) => p.Add($"flow add @{d["table_name"]}"),
    };
}
