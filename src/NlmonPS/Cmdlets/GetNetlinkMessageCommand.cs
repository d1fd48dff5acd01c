using System.Management.Automation;
using NlmonPS.Decoding;

namespace NlmonPS.Cmdlets;

[Cmdlet(VerbsCommon.Get, "NetlinkMessage")]
[OutputType(typeof(NetlinkMessage))]
public sealed class GetNetlinkMessageCommand : PSCmdlet
{
}
