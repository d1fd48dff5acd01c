@{
    RootModule           = 'NlmonPS.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '5b0f7d5e-2a53-4c52-9b1e-6f1c0c3d8a41'
    Author               = 'NlmonPS developers'
    CompanyName          = 'NlmonPS'
    Copyright            = '(c) NlmonPS developers. MIT License.'
    Description          = 'Linux netlink debugging for PowerShell: nlmon capture, typed decoding of every netlink family nlmon sees, pcap import/export, the kernel drop monitor, port mirroring and ptrace-based netlink tracing.'
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')
    FormatsToProcess     = @('NlmonPS.Format.ps1xml')
    TypesToProcess       = @('NlmonPS.Types.ps1xml')
    CmdletsToExport      = @(
        'New-NlmonDevice'
        'Get-NlmonDevice'
        'Set-NlmonDevice'
        'Remove-NlmonDevice'
        'Get-NetlinkMessage'
        'Export-NetlinkPcap'
        'Get-NetlinkTransaction'
        'Measure-NetlinkTransaction'
        'New-PortMirror'
        'Get-PortMirror'
        'Remove-PortMirror'
        'Trace-NetlinkCommand'
        'Get-PacketDrop'
        'Export-PacketDropPcap'
        'Get-DropMonitorConfiguration'
        'Set-DropMonitorConfiguration'
        'Get-DropMonitorStatistics'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('netlink', 'nlmon', 'linux', 'pcap', 'networking', 'rtnetlink', 'tc', 'dropmonitor', 'PSEdition_Core', 'Linux')
            LicenseUri   = 'https://opensource.org/licenses/MIT'
            ReleaseNotes = '0.1.0: netlink messages decoded into typed objects from pcap/pcapng files and live from nlmon devices; Export-NetlinkPcap; nlmon device, port mirror (tc) and drop monitor (NET_DM) cmdlets; Trace-NetlinkCommand (ptrace). See CHANGELOG.md.'
        }
    }
}
