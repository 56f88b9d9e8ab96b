using System.Collections.Concurrent;
using Functional.WebRtc.Core.Ice;

namespace Functional.WebRtc.Tests.Connection;

/// <summary>ICE between two PeerConnections on 127.0.0.1: trickle, gathering, candidates in descriptions, errors, restart.</summary>
public class IceLoopbackTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    [Fact(Timeout = 20_000)]
    public async Task TrickleNegotiationConnectsAndCarriesData()
    {
        await using var pair = new LoopbackPair();
        pair.WatchIncoming();
        var channel = pair.Offerer.CreateDataChannel("trickle");
        await pair.NegotiateTrickleAsync();
        await pair.WaitConnectedAsync();
        var theirs = await pair.IncomingAsync(pair.Answerer, "trickle");
        await LoopbackPair.WaitForAsync(() => channel.ReadyState == DataChannelReadyState.Open, Limit, "open");
        var inbox = new Inbox(theirs);
        channel.Send("over trickled candidates");
        Assert.Equal("over trickled candidates", inbox.Take().Text);
        Assert.True(pair.Offerer.CanTrickleIceCandidates);
    }

    [Fact(Timeout = 20_000)]
    public async Task OnIceCandidateGivesCandidatesThenNullAndGatheringGoesNewGatheringComplete()
    {
        await using var pair = new LoopbackPair();
        var pc = pair.Offerer;
        var events = new ConcurrentQueue<object>();
        pc.OnIceCandidate += c => events.Enqueue((object?)c ?? "null");
        pc.OnIceGatheringStateChange += s => events.Enqueue(s);
        Assert.Equal(IceGatheringState.New, pc.IceGatheringState);
        pc.CreateDataChannel("x");
        await pc.SetLocalDescriptionAsync(await pc.CreateOfferAsync());
        await pc.GatheringComplete.WaitAsync(Limit);
        await LoopbackPair.WaitForAsync(() => events.Contains("null"), Limit, "the null candidate");
        Assert.Equal(IceGatheringState.Complete, pc.IceGatheringState);
        var list = events.ToList();
        var states = list.OfType<IceGatheringState>().ToList();
        Assert.Equal([IceGatheringState.Gathering, IceGatheringState.Complete], states);
        var candidates = list.OfType<IceCandidateInit>().ToList();
        Assert.NotEmpty(candidates);
        Assert.All(candidates, c =>
        {
            Assert.StartsWith("candidate:", c.Candidate);
            Assert.Contains("127.0.0.1", c.Candidate);
            Assert.Contains("typ host", c.Candidate);
            Assert.Equal("0", c.SdpMid);
        });
        // Order: gathering before the first candidate, every candidate before null, null once and last of the candidates.
        var gathering = list.IndexOf(IceGatheringState.Gathering);
        var firstCandidate = list.FindIndex(e => e is IceCandidateInit);
        var nullAt = list.IndexOf("null");
        Assert.True(gathering < firstCandidate, string.Join(", ", list));
        Assert.True(list.FindLastIndex(e => e is IceCandidateInit) < nullAt, string.Join(", ", list));
        Assert.Single(list, e => Equals(e, "null"));
    }

    [Fact(Timeout = 20_000)]
    public async Task LocalDescriptionAfterGatheringCompleteHoldsCandidatesAndEndOfCandidates()
    {
        await using var pair = new LoopbackPair();
        var pc = pair.Offerer;
        pc.CreateDataChannel("x");
        var offer = await pc.CreateOfferAsync();
        Assert.DoesNotContain("a=candidate:", offer.Sdp);
        await pc.SetLocalDescriptionAsync(offer);
        await pc.GatheringComplete.WaitAsync(Limit);
        var sdp = pc.LocalDescription!.Sdp;
        var lines = sdp.Split("\r\n");
        Assert.Contains(lines, l => l.StartsWith("a=candidate:") && l.Contains("127.0.0.1") && l.Contains("typ host"));
        Assert.Contains("a=end-of-candidates", lines);
        // end-of-candidates follows the candidates of its section.
        Assert.True(Array.FindLastIndex(lines, l => l.StartsWith("a=candidate:")) < Array.IndexOf(lines, "a=end-of-candidates"));
        Assert.Equal(sdp, pc.PendingLocalDescription!.Sdp);
        // The answerer's description after its gathering has them too, and the pair connects on them alone (vanilla ICE).
        await pair.Answerer.SetRemoteDescriptionAsync(pc.LocalDescription!);
        await pair.Answerer.SetLocalDescriptionAsync(await pair.Answerer.CreateAnswerAsync());
        await pair.Answerer.GatheringComplete.WaitAsync(Limit);
        Assert.Contains("a=end-of-candidates", pair.Answerer.LocalDescription!.Sdp);
        Assert.Contains("a=candidate:", pair.Answerer.CurrentLocalDescription!.Sdp);
        await pc.SetRemoteDescriptionAsync(pair.Answerer.LocalDescription!);
        await pair.WaitConnectedAsync();
    }

    [Fact(Timeout = 20_000)]
    public async Task CandidatesTrickledBeforeTheAnswererSetsItsAnswerAreUsed()
    {
        await using var pair = new LoopbackPair();
        var offererCandidates = new ConcurrentQueue<IceCandidateInit>();
        pair.Offerer.OnIceCandidate += c => { if (c is not null) offererCandidates.Enqueue(c); };
        pair.Offerer.CreateDataChannel("x");
        var offer = await pair.Offerer.CreateOfferAsync();
        await pair.Offerer.SetLocalDescriptionAsync(offer);
        await pair.Offerer.GatheringComplete.WaitAsync(Limit);
        await LoopbackPair.WaitForAsync(() => !offererCandidates.IsEmpty, Limit, "a candidate");
        // The answerer learns the offerer's candidates only by trickle, after the offer and before its own answer;
        // the offerer never learns the answerer's (it finds it as peer-reflexive when checked).
        await pair.Answerer.SetRemoteDescriptionAsync(offer);
        Assert.DoesNotContain("a=candidate", pair.Answerer.RemoteDescription!.Sdp);
        foreach (var c in offererCandidates) await pair.Answerer.AddIceCandidateAsync(c);
        var answer = await pair.Answerer.CreateAnswerAsync();
        await pair.Answerer.SetLocalDescriptionAsync(answer);
        await pair.Offerer.SetRemoteDescriptionAsync(answer);
        await pair.WaitConnectedAsync();
    }

    [Fact(Timeout = 20_000)]
    public async Task AddIceCandidateBeforeARemoteDescriptionThrowsInvalidState()
    {
        await using var pair = new LoopbackPair();
        var candidate = new IceCandidateInit("candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host");
        await Assert.ThrowsAsync<InvalidStateException>(() => pair.Answerer.AddIceCandidateAsync(candidate));
        var e = Assert.Throws<InvalidStateException>(() => pair.Answerer.AddIceCandidate(candidate));
        Assert.Equal("InvalidStateError", e.Name);
        // Also with only a local description.
        pair.Offerer.CreateDataChannel("x");
        await pair.Offerer.SetLocalDescriptionAsync(await pair.Offerer.CreateOfferAsync());
        await Assert.ThrowsAsync<InvalidStateException>(() => pair.Offerer.AddIceCandidateAsync(candidate));
    }

    [Theory(Timeout = 20_000)]
    [InlineData("candidate:garbage")]
    [InlineData("candidate:1 1 udp notanumber 127.0.0.1 50000 typ host")]
    [InlineData("candidate:1 1 udp 2130706431 127.0.0.1 port typ host")]
    [InlineData("candidate:1 1 udp 2130706431 127.0.0.1 50000 typ")]
    [InlineData("not a candidate at all")]
    public async Task AMalformedCandidateThrowsOperationError(string text)
    {
        await using var pair = new LoopbackPair();
        pair.Offerer.CreateDataChannel("x");
        await pair.NegotiateAsync();
        var e = await Assert.ThrowsAsync<OperationErrorException>(() => pair.Answerer.AddIceCandidateAsync(new IceCandidateInit(text)));
        Assert.Equal("OperationError", e.Name);
        // The connection is unharmed: it still connects.
        await pair.WaitConnectedAsync();
    }

    [Fact(Timeout = 20_000)]
    public async Task EndOfCandidatesAndValidCandidatesAreAcceptedAfterTheRemoteDescription()
    {
        await using var pair = new LoopbackPair();
        pair.Offerer.CreateDataChannel("x");
        await pair.NegotiateAsync();
        await pair.Answerer.AddIceCandidateAsync(new IceCandidateInit("candidate:9 1 udp 2130706431 127.0.0.1 9 typ host"));
        await pair.Answerer.AddIceCandidateAsync(null);
        await pair.Answerer.AddIceCandidateAsync(new IceCandidateInit(""));
        await pair.WaitConnectedAsync();
    }

    [Theory(Timeout = 20_000)]
    [InlineData(false)]
    [InlineData(true)]
    public async Task IceRestartKeepsTheConnectionUpAndDataFlowing(bool answererRestarts)
    {
        await using var pair = new LoopbackPair();
        var states = new ConcurrentQueue<PeerConnectionState>();
        var (local, remote) = await ConnectWithChannel(pair);
        pair.Offerer.OnConnectionStateChange += states.Enqueue;
        pair.Answerer.OnConnectionStateChange += states.Enqueue;
        LoopbackPair.Echo(remote);
        var back = new Inbox(local);
        local.Send("before");
        Assert.Equal("before", back.Take().Text);
        // The side that restarts offers (and becomes the controlling agent, RFC 8445 6.1.1 / RFC 8839 4.4.1.1.1).
        var (offerer, answerer) = answererRestarts ? (pair.Answerer, pair.Offerer) : (pair.Offerer, pair.Answerer);
        var oldOfferUfrag = Ufrag(offerer.LocalDescription!.Sdp);
        var oldAnswerUfrag = Ufrag(answerer.LocalDescription!.Sdp);

        // Renegotiate with an ICE restart (trickle: candidates of the new generation follow the descriptions).
        offerer.OnIceCandidate += c => { if (c is not null) _ = answerer.AddIceCandidateAsync(c); };
        answerer.OnIceCandidate += c => { if (c is not null) _ = offerer.AddIceCandidateAsync(c); };
        var offer = await offerer.CreateOfferAsync(new OfferOptions(IceRestart: true));
        Assert.NotEqual(oldOfferUfrag, Ufrag(offer.Sdp));
        await offerer.SetLocalDescriptionAsync(offer);
        await answerer.SetRemoteDescriptionAsync(offer);
        var answer = await answerer.CreateAnswerAsync();
        // RFC 8839 4.4.1.1.1 / JSEP 5.3.1: an answer to an ICE restart carries new credentials too.
        Assert.NotEqual(oldAnswerUfrag, Ufrag(answer.Sdp));
        await answerer.SetLocalDescriptionAsync(answer);
        await offerer.SetRemoteDescriptionAsync(answer);
        Assert.Equal(SignalingState.Stable, offerer.SignalingState);
        Assert.Equal(SignalingState.Stable, answerer.SignalingState);

        // Data keeps flowing during and after the restart, over 3 s (beyond the time the new checks need).
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(3);
        var n = 0;
        while (DateTime.UtcNow < deadline)
        {
            local.Send($"after {n}");
            Assert.Equal($"after {n}", back.Take().Text);
            n++;
            await Task.Delay(50);
        }
        Assert.True(n > 10);
        Assert.Equal(PeerConnectionState.Connected, pair.Offerer.ConnectionState);
        Assert.Equal(PeerConnectionState.Connected, pair.Answerer.ConnectionState);
        Assert.DoesNotContain(PeerConnectionState.Failed, states);
        Assert.DoesNotContain(PeerConnectionState.Closed, states);
        Assert.NotNull(pair.Offerer.SelectedCandidatePair);
        // The new generation completes its checks: both agents run with both new credentials, the restarting side controls.
        await LoopbackPair.WaitForAsync(() => IceAgentOf(offerer).LocalUfrag == Ufrag(offer.Sdp) &&
                                              IceAgentOf(offerer).RemoteUfrag == Ufrag(answer.Sdp) &&
                                              IceAgentOf(answerer).RemoteUfrag == Ufrag(offer.Sdp) &&
                                              IceAgentOf(answerer).LocalUfrag == Ufrag(answer.Sdp),
            Limit, () => $"both agents on the new credentials (offerer remote {IceAgentOf(offerer).RemoteUfrag}, answerer remote {IceAgentOf(answerer).RemoteUfrag})");
        Assert.True(IceAgentOf(offerer).Controlling);
        Assert.False(IceAgentOf(answerer).Controlling);
        await LoopbackPair.WaitForAsync(() => IceAgentOf(offerer).Pairs.Exists(p => p.Nominated && p.State == CandidatePairState.Succeeded),
            Limit, "a nominated pair of the new generation");
        // The descriptions list each candidate of the new generation once.
        await LoopbackPair.WaitForAsync(() => offerer.IceGatheringState == IceGatheringState.Complete, Limit, "gathering complete again");
        var candidates = offerer.LocalDescription!.Sdp.Split("\r\n").Where(l => l.StartsWith("a=candidate:")).ToList();
        Assert.NotEmpty(candidates);
        Assert.Equal(candidates.Count, candidates.Distinct().Count());
        Assert.Contains($"a=ice-ufrag:{Ufrag(offer.Sdp)}", offerer.LocalDescription!.Sdp);
        // Later offers from either side keep the new credentials (no second, unintended restart).
        Assert.Equal(Ufrag(answer.Sdp), Ufrag((await answerer.CreateOfferAsync()).Sdp));
        Assert.Equal(Ufrag(offer.Sdp), Ufrag((await offerer.CreateOfferAsync()).Sdp));
    }

    [Fact(Timeout = 20_000)]
    public async Task ARenegotiationWithoutRestartKeepsTheCredentials()
    {
        await using var pair = new LoopbackPair();
        var (local, remote) = await ConnectWithChannel(pair);
        var offerUfrag = Ufrag(pair.Offerer.LocalDescription!.Sdp);
        var answerUfrag = Ufrag(pair.Answerer.LocalDescription!.Sdp);
        // The answerer offers this time (no restart): credentials and ICE roles stay as they were.
        var offer = await pair.Answerer.CreateOfferAsync();
        await pair.Answerer.SetLocalDescriptionAsync(offer);
        await pair.Offerer.SetRemoteDescriptionAsync(offer);
        var answer = await pair.Offerer.CreateAnswerAsync();
        await pair.Offerer.SetLocalDescriptionAsync(answer);
        await pair.Answerer.SetRemoteDescriptionAsync(answer);
        Assert.Equal(answerUfrag, Ufrag(offer.Sdp));
        Assert.Equal(offerUfrag, Ufrag(answer.Sdp));
        Assert.True(IceAgentOf(pair.Offerer).Controlling);
        Assert.False(IceAgentOf(pair.Answerer).Controlling);
        var inbox = new Inbox(remote);
        local.Send("unchanged");
        Assert.Equal("unchanged", inbox.Take().Text);
        Assert.Equal(PeerConnectionState.Connected, pair.Answerer.ConnectionState);
    }

    internal static async Task<(DataChannel Local, DataChannel Remote)> ConnectWithChannel(LoopbackPair pair, string label = "data")
    {
        pair.WatchIncoming();
        var local = pair.Offerer.CreateDataChannel(label);
        await pair.ConnectAsync();
        var remote = await pair.IncomingAsync(pair.Answerer, label);
        await LoopbackPair.WaitForAsync(() => local.ReadyState == DataChannelReadyState.Open, Limit, "open");
        return (local, remote);
    }

    internal static string Ufrag(string sdp) =>
        sdp.Split("\r\n").First(l => l.StartsWith("a=ice-ufrag:"))["a=ice-ufrag:".Length..];

    /// <summary>The connection's ICE agent (a private field of the shell; read for assertions only).</summary>
    internal static IceAgent IceAgentOf(PeerConnection pc) =>
        (IceAgent)typeof(PeerConnection).GetField("_ice", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!
            .GetValue(pc)!;
}
