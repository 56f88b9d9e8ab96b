namespace Functional.WebRtc;

/// <summary>The state of the SCTP association under the data channels (W3C RTCSctpTransportState).</summary>
public enum SctpTransportState { Connecting, Connected, Closed }

/// <summary>
/// The SCTP transport of a connection's data channels (W3C RTCSctpTransport, Pion's SCTPTransport): its state, the
/// largest message Send accepts and how many channels may be open at once. A live view: every property reads the
/// connection's current state.
/// </summary>
public sealed class SctpTransport
{
    private readonly PeerConnection _pc;

    internal SctpTransport(PeerConnection pc) => _pc = pc;

    public SctpTransportState State => _pc.SctpState;

    /// <summary>
    /// The largest message DataChannel.Send accepts (W3C 6.1.1 "update the data max message size"): the smaller of the
    /// peer's a=max-message-size (RFC 8841 6: 65536 when absent, 0 meaning no limit) and what this side can send
    /// (SettingEngine.Sctp.MaxMessageSize).
    /// </summary>
    public long MaxMessageSize => _pc.SctpMaxMessageSize;

    /// <summary>
    /// How many data channels may be open at once (W3C maxChannels): null until the association is connected. This side
    /// offers SettingEngine.Sctp.Streams streams each way (RFC 8831 6.2); the peer's own counts from its INIT are not
    /// kept by the association, so this is this side's figure.
    /// </summary>
    public int? MaxChannels => State == SctpTransportState.Connected ? _pc.Settings.EffectiveSctp.Streams : null;

    public override string ToString() => $"SctpTransport({State}, maxMessageSize {MaxMessageSize})";
}

public sealed partial class PeerConnection
{
    private SctpTransport? _sctpTransport;

    /// <summary>
    /// The SCTP transport of the data channels (W3C pc.sctp, Pion's SCTP()): null until a description negotiated an
    /// application m-section with the peer (a remote description with a=sctp-port was applied).
    /// </summary>
    public SctpTransport? Sctp =>
        _transport?.RemoteSctpPort is null ? null
        : _sctpTransport ?? Interlocked.CompareExchange(ref _sctpTransport, new SctpTransport(this), null) ?? _sctpTransport;

    internal SctpTransportState SctpState =>
        _transportClosed || _state.Connection == PeerConnectionState.Closed ? SctpTransportState.Closed
        : _channels.SctpEstablished ? SctpTransportState.Connected
        : SctpTransportState.Connecting;

    internal long SctpMaxMessageSize
    {
        get
        {
            var remote = RemoteMaxMessageSize;
            long local = Settings.EffectiveSctp.MaxMessageSize;
            return remote <= 0 ? local : Math.Min(remote, local);
        }
    }
}
