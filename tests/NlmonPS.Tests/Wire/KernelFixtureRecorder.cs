using NlmonPS.KernelClients;
using NlmonPS.Wire;
using Xunit;

namespace NlmonPS.Tests.Wire;

/// <summary>
/// Re-records tests/fixtures/native/kernel-link-addr.pcap from the running kernel when NLMONPS_RECORD_FIXTURES=1:
/// a private namespace with a dummy and a veth pair and addresses, then RTM_GETLINK and RTM_GETADDR dumps and failing
/// RTM_NEWLINKs: an unknown kind, a malformed nest (the extended ACK points at it), an existing name. Requests and reply buffers are
/// stored as they went over the socket.
/// </summary>
public class KernelFixtureRecorder
{
    public static string FixturePath => ModuleLoader.Fixture("native/kernel-link-addr.pcap");

    [Fact]
    public void RecordKernelFixture()
    {
        if (Environment.GetEnvironmentVariable("NLMONPS_RECORD_FIXTURES") != "1")
        {
            Assert.True(File.Exists(FixturePath), "the committed fixture exists");
            return;
        }
        var records = PrivateNetns.Run(() =>
        {
            PrivateNetns.Sh("ip link set lo up && ip link add d0 mtu 9000 type veth peer name d0p && ip link set d0 up && " +
                "ip link add va type veth peer name vb && ip addr add 10.9.0.1/24 dev d0 && ip addr add 2001:db8::1/64 dev d0 nodad");
            var list = new List<(DateTimeOffset, NetlinkProtocol, byte[])>();
            using var route = new NetlinkSocket(NetlinkProtocol.Route);
            using var generic = new NetlinkSocket(NetlinkProtocol.Generic);
            void Exchange(MessageBuilder request, bool expectError = false, NetlinkSocket? on = null)
            {
                var socket = on ?? route;
                request.Sequence = socket.NextSequence();
                request.PortId = 0;
                request.Flags |= Nl.NLM_F_REQUEST;
                var bytes = request.ToArray();
                list.Add((DateTimeOffset.UtcNow, socket.Protocol, bytes));
                socket.Send(bytes);
                while (socket.Receive(2000) is { } reply)
                {
                    list.Add((DateTimeOffset.UtcNow, socket.Protocol, reply.ToArray()));
                    var messages = NetlinkMessageSplitter.Split(reply, Endian.Host);
                    if (messages.Any(m => m.Header.Type is Nl.NLMSG_DONE or Nl.NLMSG_ERROR)) break;
                }
            }
            Exchange(new MessageBuilder(18, Nl.NLM_F_DUMP).AddBytes(new byte[16]).AddU32(29, 1));
            Exchange(new MessageBuilder(22, Nl.NLM_F_DUMP).AddBytes(new byte[8]));
            // ip link add bad0 link lo type vlan id 5000: the kernel rejects the id with an extended ACK.
            var bad = new MessageBuilder(16, Nl.NLM_F_CREATE | Nl.NLM_F_EXCL | Nl.NLM_F_ACK).AddBytes(new byte[16])
                .AddString(3, "bad0").AddU32(5, 1).BeginNest(18).AddString(1, "vlan").BeginNest(2).AddU16(1, 5000).EndNest().EndNest();
            Exchange(bad, expectError: true);
            // A linkinfo data nest of 2 bytes fails policy validation: the extended ACK points at .linkinfo.data.
            Exchange(new MessageBuilder(16, Nl.NLM_F_CREATE | Nl.NLM_F_EXCL | Nl.NLM_F_ACK).AddBytes(new byte[16])
                .AddString(3, "bad1").BeginNest(18).AddString(1, "veth").AddAttribute(2 | Nl.NLA_F_NESTED, new byte[] { 1, 0 }).EndNest());
            // ip link add d0 type veth again: EEXIST.
            Exchange(new MessageBuilder(16, Nl.NLM_F_CREATE | Nl.NLM_F_EXCL | Nl.NLM_F_ACK).AddBytes(new byte[16])
                .AddString(3, "d0").BeginNest(18).AddString(1, "veth").EndNest());
            // nlctrl validates strictly: a family name longer than GENL_NAMSIZ fails with an offset into the request.
            Exchange(new MessageBuilder(16, Nl.NLM_F_ACK).AddBytes(new byte[] { 3, 1, 0, 0 })
                .AddString(2, "a-family-name-far-longer-than-sixteen"), on: generic);
            Exchange(new MessageBuilder(16, Nl.NLM_F_ACK).AddBytes(new byte[] { 3, 1, 0, 0 }).AddString(2, "nlctrl"), on: generic);
            return list;
        });
        Directory.CreateDirectory(Path.GetDirectoryName(FixturePath)!);
        Fixtures.WriteNetlinkPcap(FixturePath, records);
    }
}
