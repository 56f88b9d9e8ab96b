using System.Collections.Concurrent;
using Functional.WebRtc.Core.Rtp;
using Functional.WebRtc.Core.Signaling;
using Functional.WebRtc.Tests.Connection;

namespace Functional.WebRtc.Tests.Parity;

/// <summary>
/// The Pion/W3C members added for parity (SctpTransport, transceiver sender/receiver, AddTransceiverFromTrack,
/// GracefulClose, SendText), on two PeerConnections over 127.0.0.1 or on one connection alone.
/// </summary>
public class ParityTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task SctpTransportIsNullBeforeNegotiationThenConnectedWithSizesThenClosed()
    {
        var small = new SettingEngine();
        small = small with { Sctp = small.Sctp with { MaxMessageSize = 100_000 } };
        await using var pair = new LoopbackPair(offerer: small);
        pair.Offerer.CreateDataChannel("x");
        Assert.Null(pair.Offerer.Sctp);
        Assert.Null(pair.Answerer.Sctp);
        await pair.ConnectAsync(Limit);
        await LoopbackPair.WaitForAsync(() => pair.Offerer.Sctp?.State == SctpTransportState.Connected &&
                                              pair.Answerer.Sctp?.State == SctpTransportState.Connected, Limit, "SCTP connected on both sides");
        var offerer = pair.Offerer.Sctp!;
        var answerer = pair.Answerer.Sctp!;
        Assert.Same(offerer, pair.Offerer.Sctp);
        // Each side's limit is min(peer's a=max-message-size, what it can send itself).
        Assert.Equal(100_000, offerer.MaxMessageSize);
        Assert.Equal(262_144, answerer.MaxMessageSize);
        Assert.Equal(65535, offerer.MaxChannels);
        Assert.Equal(65535, answerer.MaxChannels);

        await pair.Offerer.CloseAsync();
        Assert.Equal(SctpTransportState.Closed, offerer.State);
        Assert.Null(offerer.MaxChannels);
    }

    [Fact]
    public async Task DataChannelSendTextArrivesAsTextAndItsTransportIsTheConnectionsSctp()
    {
        await using var pair = new LoopbackPair();
        var early = pair.Offerer.CreateDataChannel("early");
        Assert.Null(early.Transport);
        await pair.ConnectAsync(Limit);
        var (local, remote) = await pair.OpenChannelAsync("text");
        var inbox = new Inbox(remote);
        local.SendText("hello pion");
        var message = inbox.Take();
        Assert.True(message.IsString);
        Assert.Equal("hello pion", message.Text);
        Assert.Same(pair.Offerer.Sctp, local.Transport);
        Assert.Same(pair.Answerer.Sctp, remote.Transport);
    }

    [Fact]
    public async Task TransceiverSenderIsTheTracksSenderAndReceiverIsTheOneOnTrackGave()
    {
        await using var pair = new LoopbackPair();
        var track = new TrackLocalStaticRtp(RtpCodecCapability.Vp8, "v", "s");
        var sender = pair.Offerer.AddTrack(track);
        var audioOnly = pair.Offerer.AddTransceiverFromKind(MediaKind.Audio, Direction.RecvOnly);
        var arrived = new TaskCompletionSource<RtpReceiver>(TaskCreationOptions.RunContinuationsAsynchronously);
        pair.Answerer.OnTrack += (_, receiver) => arrived.TrySetResult(receiver);

        var sending = pair.Offerer.GetTransceivers().Single(t => t.Kind == MediaKind.Video);
        Assert.Same(sender, sending.Sender);
        Assert.Same(sender, sender.Transceiver.Sender);
        Assert.Null(audioOnly.Sender);
        Assert.Null(sending.Receiver);
        Assert.Empty(sending.Receivers);

        await pair.ConnectAsync(Limit);
        await LoopbackPair.WaitForAsync(() => sender.CanSend, Limit, "sender ready");
        var answering = pair.Answerer.GetTransceivers().Single(t => t.Kind == MediaKind.Video);
        Assert.Null(answering.Receiver);
        var deadline = DateTime.UtcNow + Limit;
        for (ushort i = 0; !arrived.Task.IsCompleted && DateTime.UtcNow < deadline; i++)
        {
            track.WriteRtp(RtpPacket.Create(96, i, i * 3000u, 1, new byte[] { 0x10, 1, 2, 3 }, marker: true));
            await Task.Delay(20);
        }
        var receiver = await arrived.Task.WaitAsync(Limit);
        Assert.Same(receiver, answering.Receiver);
        Assert.Equal([receiver], answering.Receivers);
        Assert.Equal(answering, receiver.Transceiver);
        Assert.Null(pair.Answerer.GetTransceivers().Single(t => t.Kind == MediaKind.Audio).Receiver);
    }

    [Fact]
    public async Task AddTransceiverFromTrackReturnsTheTransceiverWhoseSenderSendsTheTrack()
    {
        await using var pc = new PeerConnection();
        var track = new TrackLocalStaticSample(RtpCodecCapability.Opus, "a", "s");
        var transceiver = pc.AddTransceiverFromTrack(track, new RtpTransceiverInit(Direction.SendOnly));
        Assert.Equal(MediaKind.Audio, transceiver.Kind);
        Assert.Equal(Direction.SendOnly, transceiver.Direction);
        Assert.Same(track, transceiver.Sender!.Track);
        Assert.Contains(transceiver, pc.GetTransceivers());
        Assert.Contains(transceiver.Sender, pc.GetSenders());
    }

    [Fact]
    public async Task AddTransceiverFromKindWithInitTakesItsDirectionAndRefusesEncodingsWithoutATrack()
    {
        await using var pc = new PeerConnection();
        var recv = pc.AddTransceiverFromKind(MediaKind.Video, new RtpTransceiverInit(Direction.RecvOnly));
        Assert.Equal(Direction.RecvOnly, recv.Direction);
        Assert.Equal(MediaKind.Video, recv.Kind);
        Assert.Throws<ArgumentException>(() => pc.AddTransceiverFromKind(MediaKind.Video,
            new RtpTransceiverInit(Direction.SendOnly, [new RtpEncodingInit("h"), new RtpEncodingInit("l")])));
        Assert.Single(pc.GetTransceivers());
    }

    [Fact]
    public async Task GracefulCloseDeliversEverythingQueuedBeforeClosing()
    {
        await using var pair = new LoopbackPair();
        pair.WatchIncoming();
        var local = pair.Offerer.CreateDataChannel("bulk");
        await pair.ConnectAsync(Limit);
        var remote = await pair.IncomingAsync(pair.Answerer, "bulk");
        await LoopbackPair.WaitForAsync(() => local.ReadyState == DataChannelReadyState.Open, Limit, "bulk open");
        long received = 0;
        remote.OnMessage += m => Interlocked.Add(ref received, m.Data.Length);
        const int count = 64, size = 60_000;
        var payload = new byte[size];
        for (var i = 0; i < count; i++) local.Send(payload);
        Assert.True(local.BufferedAmount > 0, "the sends are still queued when the close starts");

        await pair.Offerer.GracefulCloseAsync(Limit);

        Assert.Equal(PeerConnectionState.Closed, pair.Offerer.ConnectionState);
        await LoopbackPair.WaitForAsync(() => Interlocked.Read(ref received) == (long)count * size, Limit,
            () => $"all {count * size} bytes at the peer (have {Interlocked.Read(ref received)})");
    }

    [Fact]
    public async Task GracefulCloseWithoutChannelsClosesAtOnceAndIsIdempotent()
    {
        var pc = new PeerConnection();
        var started = DateTime.UtcNow;
        await pc.GracefulCloseAsync(TimeSpan.FromSeconds(30));
        pc.GracefulClose();
        Assert.Equal(PeerConnectionState.Closed, pc.ConnectionState);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10));
    }

    private static string Ufrag(string sdp) =>
        sdp.Split("\r\n").First(l => l.StartsWith("a=ice-ufrag:", StringComparison.Ordinal))["a=ice-ufrag:".Length..];

    [Fact]
    public async Task RestartIceFiresNegotiationNeededAndOnlyTheNextOfferHasNewCredentials()
    {
        await using var pair = new LoopbackPair();
        pair.WatchIncoming();
        var local = pair.Offerer.CreateDataChannel("r");
        await pair.ConnectAsync(Limit);
        var remote = await pair.IncomingAsync(pair.Answerer, "r");
        await LoopbackPair.WaitForAsync(() => local.ReadyState == DataChannelReadyState.Open, Limit, "r open");
        var before = Ufrag(pair.Offerer.LocalDescription!.Sdp);
        Assert.Equal(before, Ufrag((await pair.Offerer.CreateOfferAsync()).Sdp));
        var needed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        pair.Offerer.OnNegotiationNeeded += () => needed.TrySetResult();

        pair.Offerer.RestartIce();
        await needed.Task.WaitAsync(Limit);
        await pair.NegotiateAsync(Limit);
        var after = Ufrag(pair.Offerer.LocalDescription!.Sdp);
        Assert.NotEqual(before, after);
        // The request was taken by that offer: the next one keeps the new credentials.
        Assert.Equal(after, Ufrag((await pair.Offerer.CreateOfferAsync()).Sdp));

        var inbox = new Inbox(remote);
        local.Send("after restart");
        Assert.Equal("after restart", inbox.Take().Text);
        Assert.Equal(PeerConnectionState.Connected, pair.Offerer.ConnectionState);
        await pair.Offerer.CloseAsync();
        Assert.Throws<InvalidStateException>(pair.Offerer.RestartIce);
    }

    [Fact]
    public async Task DataChannelGracefulCloseReturnsOnceBothEndsAreClosed()
    {
        await using var pair = new LoopbackPair();
        pair.WatchIncoming();
        var local = pair.Offerer.CreateDataChannel("g");
        await pair.ConnectAsync(Limit);
        var remote = await pair.IncomingAsync(pair.Answerer, "g");
        await LoopbackPair.WaitForAsync(() => local.ReadyState == DataChannelReadyState.Open, Limit, "g open");
        var remoteClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        remote.OnClose += () => remoteClosed.TrySetResult();

        Assert.True(await local.GracefulCloseAsync(Limit));
        Assert.Equal(DataChannelReadyState.Closed, local.ReadyState);
        await remoteClosed.Task.WaitAsync(Limit);
        Assert.True(await local.GracefulCloseAsync(Limit)); // already closed: at once
        Assert.Equal(PeerConnectionState.Connected, pair.Offerer.ConnectionState);
    }

    [Fact]
    public void GetCapabilitiesListsTheMediaEnginesCodecsAndExtensionsOfAKind()
    {
        var video = RtpSender.GetCapabilities(MediaKind.Video);
        var audio = RtpReceiver.GetCapabilities(MediaKind.Audio);
        Assert.Contains(video.Codecs, c => c.MimeType.Equals("video/VP8", StringComparison.OrdinalIgnoreCase) && c.ClockRate == 90000);
        Assert.Contains(video.Codecs, c => c.MimeType.Equals("video/rtx", StringComparison.OrdinalIgnoreCase) && c.Fmtp.StartsWith("apt=", StringComparison.Ordinal));
        Assert.DoesNotContain(video.Codecs, c => c.Kind == MediaKind.Audio);
        Assert.Contains(audio.Codecs, c => c.MimeType.Equals("audio/opus", StringComparison.OrdinalIgnoreCase) && c.Channels == 2);
        Assert.DoesNotContain(audio.Codecs, c => c.Kind == MediaKind.Video);
        Assert.Contains(MediaEngine.MidUri, video.HeaderExtensions);
        Assert.Contains(MediaEngine.MidUri, audio.HeaderExtensions);
        var opusOnly = MediaEngine.Empty.RegisterCodec(new RtpCodec(MediaKind.Audio, "audio/opus", 48000, 2, "", 111, default));
        Assert.Equal(["audio/opus"], RtpSender.GetCapabilities(MediaKind.Audio, opusOnly).Codecs.Map(c => c.MimeType).ToArray());
        Assert.Empty(RtpSender.GetCapabilities(MediaKind.Video, opusOnly).Codecs);
    }
}
