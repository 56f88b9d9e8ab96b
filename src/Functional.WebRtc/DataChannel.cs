namespace Functional.WebRtc;

/// <summary>W3C RTCDataChannelState.</summary>
public enum DataChannelState { Connecting, Open, Closing, Closed }

/// <summary>Options for CreateDataChannel (W3C RTCDataChannelInit).</summary>
public sealed record DataChannelInit
{
    public bool Ordered { get; init; } = true;
    public int? MaxPacketLifeTime { get; init; }
    public int? MaxRetransmits { get; init; }
    public string Protocol { get; init; } = "";
    public bool Negotiated { get; init; }
    public int? Id { get; init; }
}

/// <summary>A data channel (W3C RTCDataChannel).</summary>
public sealed partial class DataChannel
{
    internal DataChannel(string label, DataChannelInit init)
    {
        Label = label;
        Init = init;
    }

    public string Label { get; }
    internal DataChannelInit Init { get; }
    public bool Ordered => Init.Ordered;
    public string Protocol => Init.Protocol;
    public DataChannelState ReadyState { get; internal set; } = DataChannelState.Connecting;
}

public sealed partial class PeerConnection
{
    /// <summary>Creates a data channel; the first one makes negotiation needed (an application m-section).</summary>
    public DataChannel CreateDataChannel(string label, DataChannelInit? init = null)
    {
        var channel = new DataChannel(label, init ?? new DataChannelInit());
        Call(new Core.PeerConnection.PeerInput.CreateDataChannel(label));
        return channel;
    }
}
