using System.Threading.Channels;
using Functional.WebRtc.Core;

namespace Functional.WebRtc;

/// <summary>
/// A data channel read and written directly instead of through events (Pion's Detach and its ReadWriteCloser): each read
/// returns one whole message. A message keeps counting against the SCTP receive window until it is read, so a slow
/// reader slows the sender (back-pressure) and the queue of unread messages is bounded by that window. Reads are for one
/// reader at a time.
/// </summary>
public sealed class DetachedDataChannel : IAsyncDisposable
{
    private readonly Channel<DataChannelMessage> _messages =
        System.Threading.Channels.Channel.CreateUnbounded<DataChannelMessage>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly PeerConnection _pc;

    internal DetachedDataChannel(PeerConnection pc, DataChannel channel)
    {
        _pc = pc;
        Channel = channel;
    }

    public DataChannel Channel { get; }

    /// <summary>The next message (text or binary); InvalidStateException once the channel closed and every message was read.</summary>
    public async ValueTask<DataChannelMessage> ReadMessageAsync(CancellationToken cancel = default)
    {
        try
        {
            var message = await _messages.Reader.ReadAsync(cancel).ConfigureAwait(false);
            _pc.Consumed(message.Data.Length);
            return message;
        }
        catch (ChannelClosedException) { throw new InvalidStateException(new RtcError.InvalidState("the data channel is closed")); }
    }

    /// <summary>
    /// Copies the next message into <paramref name="buffer"/> and returns its length (Pion's Read); 0 once the channel
    /// closed and every message was read (end of stream). A message larger than the buffer is left unread and
    /// ArgumentException says its size (Pion's io.ErrShortBuffer).
    /// </summary>
    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancel = default)
    {
        while (await _messages.Reader.WaitToReadAsync(cancel).ConfigureAwait(false))
        {
            if (!_messages.Reader.TryPeek(out var next)) continue;
            if (next.Data.Length > buffer.Length)
                throw new ArgumentException($"a message of {next.Data.Length} bytes does not fit a buffer of {buffer.Length}", nameof(buffer));
            if (!_messages.Reader.TryRead(out var message)) continue;
            message.Data.CopyTo(buffer);
            _pc.Consumed(message.Data.Length);
            return message.Data.Length;
        }
        return 0;
    }

    /// <summary>Sends binary data (Pion's Write); the bytes are copied.</summary>
    public void Write(ReadOnlySpan<byte> data) => Channel.Send(data);

    /// <summary>Sends text (Pion's WriteDataChannel with isString).</summary>
    public void WriteText(string text) => Channel.Send(text);

    /// <summary>Closes the channel (Pion's Close); messages already received can still be read.</summary>
    public void Close() => Channel.Close();

    public ValueTask DisposeAsync()
    {
        Close();
        return ValueTask.CompletedTask;
    }

    // ----- from the connection's loop -----

    internal void Deliver(DataChannelMessage message)
    {
        if (!_messages.Writer.TryWrite(message)) _pc.Consumed(message.Data.Length);
    }

    internal void Complete() => _messages.Writer.TryComplete();
}

public sealed partial class DataChannel
{
    private volatile DetachedDataChannel? _detached;

    /// <summary>
    /// Reads and writes this channel directly from now on (Pion's Detach): later messages go to the returned object's
    /// reads, no longer to OnMessage (messages already queued for OnMessage still go there: detach in OnOpen, as with
    /// Pion). Detaching again returns the same object. InvalidStateException when the channel is closed.
    /// </summary>
    public DetachedDataChannel Detach()
    {
        if (_readyState == DataChannelReadyState.Closed)
            throw new InvalidStateException(new RtcError.InvalidState("the data channel is closed"));
        var detached = Interlocked.CompareExchange(ref _detached, new DetachedDataChannel(_pc, this), null) ?? _detached!;
        if (_readyState == DataChannelReadyState.Closed) detached.Complete(); // it closed meanwhile: reads end
        return detached;
    }
}
