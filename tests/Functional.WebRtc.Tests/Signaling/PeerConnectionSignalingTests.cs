using Functional.WebRtc.Core.Signaling;

namespace Functional.WebRtc.Tests.Signaling;

public class PeerConnectionSignalingTests
{
    private static SettingEngine Seeded(ulong seed) => new() { Seed = seed };

    [Fact]
    public async Task OfferAnswerWithDataAndMediaReachesStableOnBothSides()
    {
        await using var offerer = new PeerConnection(settings: Seeded(1));
        await using var answerer = new PeerConnection(settings: Seeded(2));
        offerer.AddTransceiverFromKind(MediaKind.Audio);
        offerer.AddTransceiverFromKind(MediaKind.Video, Direction.SendOnly);
        offerer.CreateDataChannel("chat");

        var offer = offerer.CreateOffer();
        Assert.Equal(SdpType.Offer, offer.Type);
        offerer.SetLocalDescription(offer);
        Assert.Equal(SignalingState.HaveLocalOffer, offerer.SignalingState);
        answerer.SetRemoteDescription(offer);
        Assert.Equal(SignalingState.HaveRemoteOffer, answerer.SignalingState);
        var answer = answerer.CreateAnswer();
        answerer.SetLocalDescription(answer);
        offerer.SetRemoteDescription(answer);

        Assert.Equal(SignalingState.Stable, offerer.SignalingState);
        Assert.Equal(SignalingState.Stable, answerer.SignalingState);
        var parsedOffer = offer.TryUnmarshal().IfLeft(e => throw new Exception(e.ToString()));
        var parsedAnswer = answer.TryUnmarshal().IfLeft(e => throw new Exception(e.ToString()));
        Assert.Equal(new[] { "audio", "video", "application" }, parsedOffer.Media.Map(m => m.Media.ToString()));
        Assert.Equal(parsedOffer.Media.Map(Jsep.Mid), parsedAnswer.Media.Map(Jsep.Mid));
        Assert.All(parsedAnswer.Media, m => Assert.NotEqual(0, m.Port));
        // The answerer made recvonly transceivers for the offered media; video was sendonly, so it answers recvonly.
        Assert.Equal(Direction.RecvOnly, Jsep.DirectionOf(parsedAnswer.Media[1]));
        Assert.Equal(Direction.RecvOnly, answerer.GetTransceivers()[0].CurrentDirection);
        Assert.Equal(Direction.SendOnly, offerer.GetTransceivers()[1].CurrentDirection);
        Assert.Equal("active", parsedAnswer.Media[0].AttributeValue("setup").Map(v => v.ToString()));
        Assert.True(answerer.CanTrickleIceCandidates);
    }
}
