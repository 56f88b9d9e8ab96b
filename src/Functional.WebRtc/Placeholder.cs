namespace Functional.WebRtc; public static class Placeholder {}
