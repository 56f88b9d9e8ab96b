using Functional.WebRtc.Core.Sdp;
using LanguageExt;

namespace Functional.WebRtc.Core.Ice;

/// <summary>Between the SDP candidate attribute (RFC 8839 grammar) and the ICE agent's candidate.</summary>
public static class IceCandidateSdp
{
    public static Either<RtcError, IceCandidate> Parse(string text) => CandidateAttribute.Parse(text).Bind(FromSdp);

    public static Either<RtcError, IceCandidate> FromSdp(CandidateAttribute c)
    {
        if (!c.IsUdp && !c.IsTcp) return new RtcError.NotSupported($"transport {c.Transport} is not supported");
        var type = c.Type switch
        {
            CandidateType.Host => IceCandidateType.Host,
            CandidateType.Srflx => IceCandidateType.Srflx,
            CandidateType.Prflx => IceCandidateType.Prflx,
            _ => IceCandidateType.Relay,
        };
        var tcp = c.TcpType.Map(t => t switch
        {
            CandidateTcpType.Active => IceTcpType.Active,
            CandidateTcpType.Passive => IceTcpType.Passive,
            _ => IceTcpType.So,
        }).IfNone(IceTcpType.None);
        return new IceCandidate(c.Foundation, c.Component, c.IsUdp ? IceTransportProtocol.Udp : IceTransportProtocol.Tcp, c.Priority,
            c.Address, c.Port, type, c.RelatedAddress.IsSome ? (string)c.RelatedAddress : null,
            c.RelatedPort.IsSome ? (int?)(int)c.RelatedPort : null, tcp);
    }
}
