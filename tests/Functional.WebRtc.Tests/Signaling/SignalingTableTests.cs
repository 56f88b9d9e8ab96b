using Functional.WebRtc.Core;
using Functional.WebRtc.Core.Signaling;

namespace Functional.WebRtc.Tests.Signaling;

public class SignalingTableTests
{
    public static TheoryData<SignalingState, DescriptionSide, SdpType, SignalingState> Allowed => new()
    {
        { SignalingState.Stable, DescriptionSide.Local, SdpType.Offer, SignalingState.HaveLocalOffer },
        { SignalingState.Stable, DescriptionSide.Remote, SdpType.Offer, SignalingState.HaveRemoteOffer },
        { SignalingState.HaveLocalOffer, DescriptionSide.Local, SdpType.Offer, SignalingState.HaveLocalOffer },
        { SignalingState.HaveLocalOffer, DescriptionSide.Remote, SdpType.Pranswer, SignalingState.HaveRemotePranswer },
        { SignalingState.HaveLocalOffer, DescriptionSide.Remote, SdpType.Answer, SignalingState.Stable },
        { SignalingState.HaveLocalOffer, DescriptionSide.Local, SdpType.Rollback, SignalingState.Stable },
        { SignalingState.HaveLocalOffer, DescriptionSide.Remote, SdpType.Rollback, SignalingState.Stable },
        { SignalingState.HaveRemoteOffer, DescriptionSide.Remote, SdpType.Offer, SignalingState.HaveRemoteOffer },
        { SignalingState.HaveRemoteOffer, DescriptionSide.Local, SdpType.Pranswer, SignalingState.HaveLocalPranswer },
        { SignalingState.HaveRemoteOffer, DescriptionSide.Local, SdpType.Answer, SignalingState.Stable },
        { SignalingState.HaveRemoteOffer, DescriptionSide.Local, SdpType.Rollback, SignalingState.Stable },
        { SignalingState.HaveRemoteOffer, DescriptionSide.Remote, SdpType.Rollback, SignalingState.Stable },
        { SignalingState.HaveLocalPranswer, DescriptionSide.Local, SdpType.Pranswer, SignalingState.HaveLocalPranswer },
        { SignalingState.HaveLocalPranswer, DescriptionSide.Local, SdpType.Answer, SignalingState.Stable },
        { SignalingState.HaveRemotePranswer, DescriptionSide.Remote, SdpType.Pranswer, SignalingState.HaveRemotePranswer },
        { SignalingState.HaveRemotePranswer, DescriptionSide.Remote, SdpType.Answer, SignalingState.Stable },
    };

    [Theory]
    [MemberData(nameof(Allowed))]
    public void EveryAllowedRowTransitions(SignalingState from, DescriptionSide side, SdpType type, SignalingState to) =>
        Assert.Equal(to, SignalingTable.Next(from, side, type).IfLeft(e => throw new Exception(e.ToString())));

    [Fact]
    public void TheTableHasExactlyTheAllowedRows() => Assert.Equal(Allowed.Count(), SignalingTable.Rows.Count());

    [Fact]
    public void EveryOtherCombinationIsAnInvalidStateError()
    {
        var allowed = Allowed.Select(r => ((SignalingState)r[0], (DescriptionSide)r[1], (SdpType)r[2])).ToHashSet();
        var checkedCount = 0;
        foreach (var from in Enum.GetValues<SignalingState>())
        foreach (var side in Enum.GetValues<DescriptionSide>())
        foreach (var type in new[] { SdpType.Offer, SdpType.Pranswer, SdpType.Answer, SdpType.Rollback })
        {
            if (allowed.Contains((from, side, type))) continue;
            var result = SignalingTable.Next(from, side, type);
            Assert.True(result.IsLeft);
            result.IfLeft(e => Assert.IsType<RtcError.InvalidState>(e));
            checkedCount++;
        }
        Assert.Equal(6 * 2 * 4 - Allowed.Count(), checkedCount);
    }

    [Fact]
    public void UnknownTypeIsATypeError() =>
        SignalingTable.Next(SignalingState.Stable, DescriptionSide.Local, SdpType.Unknown)
            .Match(_ => Assert.Fail("accepted"), e => Assert.IsType<RtcError.Type>(e));
}
