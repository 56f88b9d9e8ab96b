using System.Text;
using Functional.WebRtc.Core;
using Functional.WebRtc.Core.DataChannels;
using CoreChannel = Functional.WebRtc.Core.DataChannels.DataChannel;

namespace Functional.WebRtc;

/// <summary>Options for CreateDataChannel (W3C RTCDataChannelInit).</summary>
public sealed record DataChannelInit
{
    public bool Ordered { get; init; } = true;
    public int? MaxPacketLifeTime { get; init; }
    public int? MaxRetransmits { get; init; }
    public string Protocol { get; init; } = "";
    public bool Negotiated { get; init; }
    public ushort? Id { get; init; }
}

/// <summary>A message on a data channel: text (IsString) or binary.</summary>
public readonly record struct DataChannelMessage(bool IsString, byte[] Data)
{
    public string Text => Encoding.UTF8.GetString(Data);
}

/// <summary>
/// A data channel (W3C RTCDataChannel, Pion's DataChannel). Sends go to the connection's loop without waiting;
/// events are raised on the connection's callback queue, in order.
/// </summary>
public sealed partial class DataChannel
{
    private readonly PeerConnection _pc;
    private long _unsent;
    private volatile DataChannelReadyState _readyState;
    private CoreChannel _initial;

    internal DataChannel(PeerConnection pc, CoreChannel channel)
    {
        _pc = pc;
        _initial = channel;
        Handle = channel.Handle;
        _readyState = channel.ReadyState;
    }

    internal int Handle { get; }
    private CoreChannel Current => _pc.Channels.Find(Handle).IfNone(_initial);

    public string Label => _initial.Label;
    public string Protocol => _initial.Protocol;
    public bool Ordered => _initial.Ordered;
    public int? MaxRetransmits => _initial.MaxRetransmits;
    public int? MaxPacketLifeTime => _initial.MaxPacketLifeTimeMs;
    public bool Negotiated => _initial.Negotiated;
    /// <summary>The SCTP stream id; null until it is known (before DTLS fixes the parity).</summary>
    public ushort? Id => Current.Id;
    public DataChannelReadyState ReadyState => _readyState;

    /// <summary>Bytes queued to send and not yet acknowledged by the peer.</summary>
    public long BufferedAmount => Current.BufferedAmount + Interlocked.Read(ref _unsent);

    /// <summary>OnBufferedAmountLow fires when BufferedAmount falls to or below this.</summary>
    public long BufferedAmountLowThreshold
    {
        get => Current.BufferedAmountLowThreshold;
        set => _pc.PostChannel(new DataChannelInput.SetBufferedAmountLowThreshold(TimeSpan.Zero, Handle, value));
    }

    public event Action? OnOpen;
    public event Action<DataChannelMessage>? OnMessage;
    public event Action? OnClose;
    public event Action<Exception>? OnError;
    public event Action? OnBufferedAmountLow;

    public void Send(string text) => Send(true, Encoding.UTF8.GetBytes(text));
    /// <summary>Sends binary data; the bytes are copied, so the caller may reuse its buffer at once.</summary>
    public void Send(byte[] data) => Send(false, Copy(data));
    public void Send(ReadOnlySpan<byte> data) => Send(false, Copy(data));

    /// <summary>The message's own copy (not zeroed first: every byte is overwritten at once).</summary>
    private static byte[] Copy(ReadOnlySpan<byte> data)
    {
        var copy = GC.AllocateUninitializedArray<byte>(data.Length);
        data.CopyTo(copy);
        return copy;
    }

    private void Send(bool isString, byte[] data)
    {
        if (_readyState != DataChannelReadyState.Open)
            throw new InvalidStateException(new RtcError.InvalidState($"the data channel is {_readyState.ToString().ToLowerInvariant()}"));
        var max = _pc.RemoteMaxMessageSize;
        if (max > 0 && data.Length > max)
            throw new RtcTypeException(new RtcError.Type($"a message of {data.Length} bytes exceeds the peer's max-message-size of {max}"));
        Interlocked.Add(ref _unsent, data.Length);
        if (!_pc.PostSend(new DataChannelInput.Send(TimeSpan.Zero, Handle, isString, data)))
        {
            Interlocked.Add(ref _unsent, -data.Length);
            throw new InvalidStateException(new RtcError.InvalidState("the connection is closed"));
        }
    }

    /// <summary>Closes the channel (an SCTP stream reset, RFC 8831 6.7).</summary>
    public void Close()
    {
        if (_readyState is DataChannelReadyState.Closing or DataChannelReadyState.Closed) return;
        _readyState = DataChannelReadyState.Closing;
        _pc.PostChannel(new DataChannelInput.Close(TimeSpan.Zero, Handle));
    }

    // ----- from the loop -----

    internal void Sent(int bytes) => Interlocked.Add(ref _unsent, -bytes);

    internal void Opened(CoreChannel channel)
    {
        _initial = channel;
        if (_readyState == DataChannelReadyState.Open) return;
        _readyState = DataChannelReadyState.Open;
        _pc.RaiseCallback(() => OnOpen?.Invoke());
    }

    /// <summary>
    /// A message for the application. Its bytes keep counting against the SCTP receive window until the OnMessage
    /// handler has returned, so a slow reader slows the sender (back-pressure) instead of growing a queue or blocking
    /// the connection's loop.
    /// </summary>
    internal void Received(bool isString, byte[] data)
    {
        var message = new DataChannelMessage(isString, data);
        if (_detached is { } detached) { detached.Deliver(message); return; } // Detach: the reader frees the window (Parity/)
        _pc.RaiseCallback(() =>
        {
            try { OnMessage?.Invoke(message); }
            finally { _pc.Consumed(data.Length); }
        });
    }

    internal void Closing() => _readyState = DataChannelReadyState.Closing;

    internal void Closed()
    {
        if (_readyState == DataChannelReadyState.Closed) return;
        _readyState = DataChannelReadyState.Closed;
        _detached?.Complete();
        _pc.RaiseCallback(() => OnClose?.Invoke());
    }

    internal void BufferedAmountLow() => _pc.RaiseCallback(() => OnBufferedAmountLow?.Invoke());

    internal void Failed(RtcError error)
    {
        var exception = RtcException.From(error);
        _pc.RaiseCallback(() => OnError?.Invoke(exception));
    }

    public override string ToString() => $"DataChannel({Label}, {ReadyState})";
}

public sealed partial class PeerConnection
{
    /// <summary>
    /// Creates a data channel (W3C createDataChannel); the first one makes negotiation needed (an application
    /// m-section). It opens once SCTP is up.
    /// </summary>
    public DataChannel CreateDataChannel(string label, DataChannelInit? init = null)
    {
        init ??= new DataChannelInit();
        if (init.MaxPacketLifeTime is not null && init.MaxRetransmits is not null)
            throw new RtcTypeException(new RtcError.Type("maxPacketLifeTime and maxRetransmits cannot both be set"));
        if (init.Negotiated && init.Id is null)
            throw new RtcTypeException(new RtcError.Type("a negotiated channel needs an id"));
        var options = new DataChannelOptions(label, init.Ordered, init.MaxRetransmits, init.MaxPacketLifeTime, init.Protocol,
            init.Negotiated, init.Id);
        var outputs = CallChannelAsync(new DataChannelInput.Create(TimeSpan.Zero, options)).GetAwaiter().GetResult();
        foreach (var error in outputs.OfType<DataChannelOutput.Error>()) throw RtcException.From(error.Reason);
        var created = outputs.OfType<DataChannelOutput.ChannelCreated>().Single().Channel;
        Call(new Core.PeerConnection.PeerInput.CreateDataChannel(label));
        return ChannelObject(created.Handle);
    }

    internal void RaiseCallback(Action action) => Raise(action);
}
