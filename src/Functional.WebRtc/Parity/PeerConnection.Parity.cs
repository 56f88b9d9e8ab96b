using Functional.WebRtc.Core.PeerConnection;
using Functional.WebRtc.Core.Signaling;

namespace Functional.WebRtc;

/// <summary>Members a Pion or browser user reaches for first, as thin views over what the connection already has.</summary>
public sealed partial class PeerConnection
{
    /// <summary>
    /// Adds a transceiver that sends <paramref name="track"/> and returns the transceiver (Pion's AddTransceiverFromTrack);
    /// the same as <see cref="AddTransceiver(TrackLocal, RtpTransceiverInit?)"/>, whose sender is the transceiver's Sender.
    /// </summary>
    public RtpTransceiver AddTransceiverFromTrack(TrackLocal track, RtpTransceiverInit? init = null) =>
        AddTransceiver(track, init).Transceiver;

    /// <summary>
    /// Adds a transceiver of a kind with no track (Pion's AddTransceiverFromKind(kind, init)). Only the init's direction
    /// applies: send encodings need a track (ArgumentException).
    /// </summary>
    public RtpTransceiver AddTransceiverFromKind(MediaKind kind, RtpTransceiverInit init)
    {
        ArgumentNullException.ThrowIfNull(init);
        if (init.SendEncodings is { Count: > 0 })
            throw new ArgumentException("send encodings need a track: use AddTransceiverFromTrack", nameof(init));
        return AddTransceiverFromKind(kind, init.Direction);
    }

    /// <summary>
    /// Closes the connection once every open data channel has sent everything it was given (Pion's GracefulClose): waits
    /// until each channel's BufferedAmount is 0, i.e. the peer's SCTP has acknowledged every byte, for at most
    /// <paramref name="timeout"/> (5 s when null), then closes as <see cref="CloseAsync"/> does. Whatever is still
    /// unacknowledged when the time is up is dropped; cancelling stops the wait and closes at once.
    /// </summary>
    public async Task GracefulCloseAsync(TimeSpan? timeout = null, CancellationToken cancel = default)
    {
        var deadline = _clock.Elapsed + (timeout ?? TimeSpan.FromSeconds(5));
        try
        {
            while (!_transportClosed && _clock.Elapsed < deadline && HasUnsentChannelData())
                await Task.Delay(5, cancel).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested) { }
        await CloseAsync().ConfigureAwait(false);
    }

    public void GracefulClose(TimeSpan? timeout = null) => GracefulCloseAsync(timeout).GetAwaiter().GetResult();

    private bool HasUnsentChannelData()
    {
        foreach (var channel in _channelsByHandle.Values)
            if (channel.ReadyState is (DataChannelReadyState.Open or DataChannelReadyState.Closing) && channel.BufferedAmount > 0)
                return true;
        return false;
    }

    /// <summary>The sender bound to a transceiver (none until a track was added to it).</summary>
    internal RtpSender? SenderOf(int index)
    {
        foreach (var sender in _senders)
            if (sender.Transceiver.Index == index) return sender;
        return null;
    }

    /// <summary>The receivers of the remote tracks that arrived on a transceiver, in SSRC order.</summary>
    internal IReadOnlyList<RtpReceiver> ReceiversOf(int index) =>
        _remoteStreams.Values.Where(r => r.Receiver.Transceiver?.Index == index)
            .OrderBy(r => r.Track.Ssrc).Select(r => r.Receiver).ToList();
}

public sealed partial class RtpTransceiver
{
    /// <summary>
    /// The sender of this transceiver's track (W3C transceiver.sender, Pion's Sender()): null while no track was added
    /// to it (a transceiver from AddTransceiverFromKind, or after RemoveTrack) — this stack makes a sender with its track.
    /// </summary>
    public RtpSender? Sender => _pc.SenderOf(Index);

    /// <summary>
    /// The receiver of the remote track that arrived on this transceiver (W3C transceiver.receiver, Pion's Receiver()):
    /// null until the first packet of a remote track arrived on it. With simulcast (one track per rid) it is the first of
    /// <see cref="Receivers"/>.
    /// </summary>
    public RtpReceiver? Receiver => Receivers is { Count: > 0 } r ? r[0] : null;

    /// <summary>Every receiver of this transceiver: one per remote track (several with simulcast), in SSRC order.</summary>
    public IReadOnlyList<RtpReceiver> Receivers => _pc.ReceiversOf(Index);

    public override string ToString() => $"RtpTransceiver({Mid ?? "no mid"}, {Kind}, {Direction})";
}

public sealed partial class DataChannel
{
    /// <summary>Sends text (Pion's SendText); the same as <see cref="Send(string)"/>.</summary>
    public void SendText(string text) => Send(text);

    /// <summary>
    /// Closes the channel and waits until it is closed (Pion's DataChannel.GracefulClose): the SCTP stream reset
    /// (RFC 8831 6.7) has completed and OnClose was raised, or the connection closed. True when closed; false when
    /// <paramref name="timeout"/> (5 s when null) passed first.
    /// </summary>
    public async Task<bool> GracefulCloseAsync(TimeSpan? timeout = null)
    {
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Done() => closed.TrySetResult();
        OnClose += Done; // before the check: a close after it raises OnClose with this handler
        try
        {
            if (ReadyState == DataChannelReadyState.Closed) return true;
            Close();
            var finished = await Task.WhenAny(closed.Task, Task.Delay(timeout ?? TimeSpan.FromSeconds(5))).ConfigureAwait(false);
            return finished == closed.Task || ReadyState == DataChannelReadyState.Closed;
        }
        finally { OnClose -= Done; }
    }

    /// <summary>The SCTP transport the channel runs on (W3C has it on the connection; Pion's Transport()): null before negotiation.</summary>
    public SctpTransport? Transport => _pc.Sctp;
}

public sealed partial class PeerConnection
{
    private int _restartIceRequested;

    /// <summary>
    /// Asks for an ICE restart (W3C restartIce()): the next CreateOffer makes new ICE credentials as if
    /// OfferOptions.IceRestart were set (RFC 8445 9), and OnNegotiationNeeded fires now when the signaling state is
    /// stable (otherwise the application renegotiates once the current exchange completes). The connection keeps
    /// running on the current pair until the restarted checks succeed.
    /// </summary>
    public void RestartIce()
    {
        if (_state.Connection == PeerConnectionState.Closed)
            throw new InvalidStateException(new Core.RtcError.InvalidState("the connection is closed"));
        Interlocked.Exchange(ref _restartIceRequested, 1);
        if (_state.Signaling == SignalingState.Stable) Raise(() => OnNegotiationNeeded?.Invoke());
    }

    /// <summary>Whether RestartIce asked for a restart since the last offer (the request is taken by that offer).</summary>
    private bool TakeRestartIce() => Interlocked.Exchange(ref _restartIceRequested, 0) == 1;
}
