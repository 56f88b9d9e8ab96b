namespace Functional.WebRtc;

/// <summary>W3C RTCDataChannelState.</summary>
public enum DataChannelReadyState { Connecting, Open, Closing, Closed }
