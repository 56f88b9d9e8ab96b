namespace Functional.WebRtc;

/// <summary>W3C RTCSignalingState.</summary>
public enum SignalingState
{
    Stable,
    HaveLocalOffer,
    HaveRemoteOffer,
    HaveLocalPranswer,
    HaveRemotePranswer,
    Closed,
}

public static class SignalingStates
{
    public static string ToText(this SignalingState state) => state switch
    {
        SignalingState.Stable => "stable",
        SignalingState.HaveLocalOffer => "have-local-offer",
        SignalingState.HaveRemoteOffer => "have-remote-offer",
        SignalingState.HaveLocalPranswer => "have-local-pranswer",
        SignalingState.HaveRemotePranswer => "have-remote-pranswer",
        _ => "closed",
    };
}
