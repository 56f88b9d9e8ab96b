using Functional.WebRtc.Core.Ice;
using System.Collections.Concurrent;
using Functional.WebRtc.Core.EventLog;

namespace Functional.WebRtc.Tests.Signaling;

/// <summary>The shell's PeerConnection: typed exceptions, events off the loop, perfect negotiation with real objects.</summary>
public class PeerConnectionApiTests
{
    [Fact]
    public async Task ClosedConnectionThrowsInvalidStateAndCloseIsIdempotent()
    {
        var pc = new PeerConnection();
        var states = new BlockingCollection<PeerConnectionState>();
        pc.OnConnectionStateChange += states.Add;
        pc.Close();
        pc.Close();
        await pc.CloseAsync();
        Assert.Equal(SignalingState.Closed, pc.SignalingState);
        Assert.Equal(PeerConnectionState.Closed, pc.ConnectionState);
        Assert.Throws<InvalidStateException>(() => pc.CreateOffer());
        Assert.Throws<InvalidStateException>(() => pc.CreateAnswer());
        var e = Assert.Throws<InvalidStateException>(() => pc.SetRemoteDescription(SessionDescription.Offer("v=0")));
        Assert.Equal("InvalidStateError", e.Name);
        Assert.True(states.TryTake(out var s, 5000));
        Assert.Equal(PeerConnectionState.Closed, s);
    }

    [Fact]
    public void TypedExceptionsMirrorTheW3CNames()
    {
        using var pc = new PeerConnection();
        Assert.Equal("InvalidStateError", Assert.Throws<InvalidStateException>(() => pc.CreateAnswer()).Name);
        Assert.Equal("SyntaxError", Assert.Throws<SdpSyntaxException>(() => pc.SetRemoteDescription(SessionDescription.Offer("v=0\r\nbogus\r\n"))).Name);
        Assert.Equal("TypeError", Assert.Throws<RtcTypeException>(() => pc.SetRemoteDescription(new SessionDescription(SdpType.Unknown, "v=0"))).Name);
        var other = Certificate.Generate();
        var mod = Assert.Throws<InvalidModificationException>(() => pc.SetConfiguration(new Configuration { Certificates = [other] }));
        Assert.Equal("InvalidModificationError", mod.Name);
        Assert.Throws<InvalidModificationException>(() => pc.SetConfiguration(pc.GetConfiguration() with { BundlePolicy = BundlePolicy.MaxBundle }));
        pc.SetConfiguration(pc.GetConfiguration() with { IceServers = [new IceServer("stun:127.0.0.1:3478")] });
        Assert.Equal("stun:127.0.0.1:3478", pc.GetConfiguration().IceServers.Single().Urls.Single());
    }

    [Fact]
    public void DefaultsFollowPion()
    {
        using var pc = new PeerConnection();
        var c = pc.GetConfiguration();
        Assert.Empty(c.IceServers);
        Assert.Equal(IceTransportPolicy.All, c.IceTransportPolicy);
        Assert.Equal(BundlePolicy.Balanced, c.BundlePolicy);
        Assert.Equal(RtcpMuxPolicy.Require, c.RtcpMuxPolicy);
        var cert = Assert.Single(c.Certificates);
        Assert.Equal("1.2.840.10045.2.1", cert.ToX509().GetKeyAlgorithm()); // id-ecPublicKey
        Assert.StartsWith("sha-256 ", cert.Fingerprint);
        Assert.Equal(SignalingState.Stable, pc.SignalingState);
        Assert.Null(pc.CanTrickleIceCandidates);
        Assert.Null(pc.LocalDescription);
        using var other = new PeerConnection();
        Assert.NotEqual(pc.Id, other.Id);
    }

    [Fact]
    public async Task HandlersRunOffTheLoopAndMayCallBackIn()
    {
        await using var pc = new PeerConnection();
        var offered = new TaskCompletionSource<SessionDescription>(TaskCreationOptions.RunContinuationsAsynchronously);
        // The handler calls the connection synchronously: it would deadlock if it ran on the connection's loop.
        pc.OnNegotiationNeeded += () =>
        {
            try
            {
                var offer = pc.CreateOffer();
                pc.SetLocalDescription(offer);
                offered.TrySetResult(offer);
            }
            catch (Exception e) { offered.TrySetException(e); }
        };
        var signaling = new BlockingCollection<SignalingState>();
        pc.OnSignalingStateChange += signaling.Add;
        pc.CreateDataChannel("chat");
        var result = await offered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Contains("m=application", result.Sdp);
        Assert.True(signaling.TryTake(out var s, 5000));
        Assert.Equal(SignalingState.HaveLocalOffer, s);
        Assert.Equal(SignalingState.HaveLocalOffer, pc.SignalingState);
    }

    [Fact]
    public async Task PerfectNegotiationWithGlareBetweenTwoConnections()
    {
        await using var impolite = new PeerConnection();
        await using var polite = new PeerConnection();
        // The signaling channel: one queue that runs actions in order, as a signaling server would deliver them.
        var channel = new BlockingCollection<Action>();
        var errors = new ConcurrentQueue<Exception>();
        var pump = Task.Run(() =>
        {
            foreach (var action in channel.GetConsumingEnumerable())
                try { action(); } catch (Exception e) { errors.Enqueue(e); }
        });
        void Receive(PeerConnection self, PeerConnection other, bool isPolite, SessionDescription description)
        {
            if (description.Type == SdpType.Offer)
            {
                var collision = self.SignalingState != SignalingState.Stable;
                if (collision && !isPolite) return; // ignore
                if (collision) self.SetLocalDescription(SessionDescription.Rollback());
                self.SetRemoteDescription(description);
                self.SetLocalDescription(self.CreateAnswer());
                var answer = self.LocalDescription!;
                channel.Add(() => Receive(other, self, !isPolite, answer));
            }
            else self.SetRemoteDescription(description);
        }
        void Wire(PeerConnection self, PeerConnection other, bool isPolite) =>
            self.OnNegotiationNeeded += () => channel.Add(() =>
            {
                if (self.SignalingState != SignalingState.Stable) return; // it fires again once stable
                self.SetLocalDescription(self.CreateOffer());
                var offer = self.LocalDescription!;
                channel.Add(() => Receive(other, self, !isPolite, offer));
            });
        Wire(impolite, polite, false);
        Wire(polite, impolite, true);
        // Both want to negotiate at once: glare.
        impolite.AddTransceiverFromKind(MediaKind.Audio);
        polite.AddTransceiverFromKind(MediaKind.Video);
        polite.CreateDataChannel("x");
        var deadline = DateTime.UtcNow.AddSeconds(15);
        bool Converged() =>
            impolite.SignalingState == SignalingState.Stable && polite.SignalingState == SignalingState.Stable &&
            impolite.CurrentLocalDescription is { } l && polite.CurrentRemoteDescription == l &&
            impolite.GetTransceivers().Count == 2 && polite.GetTransceivers().Count == 2 &&
            impolite.GetTransceivers().All(t => t.Mid is not null) && polite.GetTransceivers().All(t => t.Mid is not null) &&
            l.Sdp.Contains("m=application") &&
            !Core.PeerConnection.PeerMachine.IsNegotiationNeeded(polite.Snapshot) &&
            !Core.PeerConnection.PeerMachine.IsNegotiationNeeded(impolite.Snapshot);
        while (DateTime.UtcNow < deadline && !Converged()) await Task.Delay(20);
        channel.CompleteAdding();
        await pump;
        Assert.Empty(errors);
        Assert.True(Converged(), $"did not converge: {impolite.SignalingState}/{polite.SignalingState}");
    }

    [Fact]
    public async Task EventLogRecordsInputsThatReplayToTheSameState()
    {
        var log = new StringWriter();
        var pc = new PeerConnection(settings: new SettingEngine { EventLog = log, Seed = 42 });
        pc.AddTransceiverFromKind(MediaKind.Video);
        pc.CreateDataChannel("d");
        pc.SetLocalDescription(pc.CreateOffer());
        pc.SetLocalDescription(SessionDescription.Rollback());
        Assert.Throws<InvalidStateException>(() => pc.CreateAnswer());
        var final = pc.Snapshot;
        await pc.CloseAsync();
        var lines = log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(8, lines.Length); // header + 7 inputs (the failed call and close included)
        var steps = EventLog.Replay(lines).IfLeft(e => throw new Exception(e.ToString()));
        Assert.Equal(final, steps[^2].State);
        Assert.Equal(pc.Snapshot, steps.Last().State);
    }
}
