using System.Globalization;
using System.Net;
using System.Text;

namespace Functional.WebRtc.Core.Ice;

public enum IceCandidateType { Host, Srflx, Prflx, Relay }
public enum IceTransportProtocol { Udp, Tcp }
public enum IceTcpType { None, Active, Passive, So }

/// <summary>
/// An ICE candidate (RFC 8445 section 5.1), independent of SDP. <see cref="Address"/> is an IP literal, or an FQDN/mDNS
/// name (which the shell must resolve before the agent can pair it). <see cref="ToString"/> gives the SDP candidate-attribute
/// value (RFC 8839 5.1) without the "a=" prefix.
/// </summary>
public sealed record IceCandidate(
    string Foundation, int Component, IceTransportProtocol Transport, uint Priority, string Address, int Port,
    IceCandidateType Type, string? RelatedAddress = null, int? RelatedPort = null, IceTcpType TcpType = IceTcpType.None)
{
    /// <summary>The candidate's base (RFC 8445 5.1.1.1), for local candidates.</summary>
    public IPEndPoint? Base { get; init; }

    /// <summary>The transport address when <see cref="Address"/> is an IP literal.</summary>
    public IPEndPoint? EndPoint => IPAddress.TryParse(Address, out var a) && Address.Contains(a.AddressFamily == IPAddress.Any.AddressFamily ? '.' : ':')
        ? new IPEndPoint(a, Port) : null;

    /// <summary>Type preferences recommended by RFC 8445 5.1.2.2.</summary>
    public static int TypePreference(IceCandidateType type) => type switch
    {
        IceCandidateType.Host => 126,
        IceCandidateType.Prflx => 110,
        IceCandidateType.Srflx => 100,
        _ => 0,
    };

    /// <summary>priority = 2^24 type-pref + 2^8 local-pref + (256 - component) (RFC 8445 5.1.2.1).</summary>
    public static uint ComputePriority(IceCandidateType type, int localPreference, int component) =>
        (uint)((TypePreference(type) << 24) + ((localPreference & 0xFFFF) << 8) + (256 - component));

    /// <summary>A foundation equal for candidates of the same type, base IP, server and transport (RFC 8445 5.1.1.3).</summary>
    public static string ComputeFoundation(IceCandidateType type, IPAddress baseAddress, string server, IceTransportProtocol transport) =>
        Stun.Crc32.Compute(Encoding.UTF8.GetBytes($"{type}|{baseAddress}|{server}|{transport}")).ToString(CultureInfo.InvariantCulture);

    public static string TypeName(IceCandidateType t) => t switch
    {
        IceCandidateType.Host => "host", IceCandidateType.Srflx => "srflx", IceCandidateType.Prflx => "prflx", _ => "relay",
    };

    /// <summary>The SDP form: <c>candidate:foundation component transport priority address port typ type [raddr a rport p] [tcptype t]</c>.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"candidate:{Foundation} {Component} {(Transport == IceTransportProtocol.Udp ? "udp" : "tcp")} {Priority} {Address} {Port} typ {TypeName(Type)}");
        if (RelatedAddress is not null && RelatedPort is not null) sb.Append(CultureInfo.InvariantCulture, $" raddr {RelatedAddress} rport {RelatedPort}");
        if (Transport == IceTransportProtocol.Tcp && TcpType != IceTcpType.None) sb.Append(" tcptype ").Append(TcpType.ToString().ToLowerInvariant());
        return sb.ToString();
    }
}
