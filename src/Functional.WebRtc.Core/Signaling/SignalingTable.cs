using LanguageExt;
using static LanguageExt.Prelude;

namespace Functional.WebRtc.Core.Signaling;

/// <summary>Who set the description: this side (SetLocalDescription) or the peer (SetRemoteDescription).</summary>
public enum DescriptionSide { Local, Remote }

/// <summary>
/// The signaling state machine of JSEP (RFC 8829 section 3.2 and 4.1.8/4.1.9) and the W3C API
/// ("set the RTCSessionDescription", step 4), written as the table itself.
/// </summary>
public static class SignalingTable
{
    private static readonly Map<(SignalingState, DescriptionSide, SdpType), SignalingState> Table = Map(
        // stable: only an offer may start a negotiation.
        ((SignalingState.Stable, DescriptionSide.Local, SdpType.Offer), SignalingState.HaveLocalOffer),
        ((SignalingState.Stable, DescriptionSide.Remote, SdpType.Offer), SignalingState.HaveRemoteOffer),

        // have-local-offer: the offer may be replaced; the peer answers provisionally or finally; or it is rolled back.
        ((SignalingState.HaveLocalOffer, DescriptionSide.Local, SdpType.Offer), SignalingState.HaveLocalOffer),
        ((SignalingState.HaveLocalOffer, DescriptionSide.Remote, SdpType.Pranswer), SignalingState.HaveRemotePranswer),
        ((SignalingState.HaveLocalOffer, DescriptionSide.Remote, SdpType.Answer), SignalingState.Stable),
        ((SignalingState.HaveLocalOffer, DescriptionSide.Local, SdpType.Rollback), SignalingState.Stable),
        ((SignalingState.HaveLocalOffer, DescriptionSide.Remote, SdpType.Rollback), SignalingState.Stable),

        // have-remote-offer: the peer may replace its offer; we answer provisionally or finally; or roll it back.
        ((SignalingState.HaveRemoteOffer, DescriptionSide.Remote, SdpType.Offer), SignalingState.HaveRemoteOffer),
        ((SignalingState.HaveRemoteOffer, DescriptionSide.Local, SdpType.Pranswer), SignalingState.HaveLocalPranswer),
        ((SignalingState.HaveRemoteOffer, DescriptionSide.Local, SdpType.Answer), SignalingState.Stable),
        ((SignalingState.HaveRemoteOffer, DescriptionSide.Local, SdpType.Rollback), SignalingState.Stable),
        ((SignalingState.HaveRemoteOffer, DescriptionSide.Remote, SdpType.Rollback), SignalingState.Stable),

        // have-local-pranswer: further provisional answers, then the final one.
        ((SignalingState.HaveLocalPranswer, DescriptionSide.Local, SdpType.Pranswer), SignalingState.HaveLocalPranswer),
        ((SignalingState.HaveLocalPranswer, DescriptionSide.Local, SdpType.Answer), SignalingState.Stable),

        // have-remote-pranswer: likewise from the peer.
        ((SignalingState.HaveRemotePranswer, DescriptionSide.Remote, SdpType.Pranswer), SignalingState.HaveRemotePranswer),
        ((SignalingState.HaveRemotePranswer, DescriptionSide.Remote, SdpType.Answer), SignalingState.Stable));

    /// <summary>Every (state, side, type) the table allows, for tests and documentation.</summary>
    public static IEnumerable<(SignalingState From, DescriptionSide Side, SdpType Type, SignalingState To)> Rows =>
        Table.Map((k, v) => (k.Item1, k.Item2, k.Item3, v)).Values;

    /// <summary>The next state, or InvalidStateError (TypeError for an unknown type) when the table forbids the transition.</summary>
    public static Either<RtcError, SignalingState> Next(SignalingState from, DescriptionSide side, SdpType type)
    {
        if (type == SdpType.Unknown) return new RtcError.Type("the description's type is not offer, pranswer, answer or rollback");
        if (from == SignalingState.Closed) return new RtcError.InvalidState("the connection is closed");
        return Table.Find((from, side, type)).ToEither<RtcError>(() =>
            new RtcError.InvalidState($"cannot set a {(side == DescriptionSide.Local ? "local" : "remote")} {type.ToText()} in signaling state {from.ToText()}"));
    }
}
