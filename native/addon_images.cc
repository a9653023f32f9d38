// The glue of the kernels over NHWC images with a window geometry: convolution (direct and
// depthwise, with their gradients) and pooling, used for inference and training alike. The geometry
// arrives checked against its rule (addon.h); the lengths checked here make sure that no geometry,
// however wrong, lets a kernel read or write outside the arrays it was given.
#include <string>

#include "addon.h"
#include "kernels/thread_pool.h"

namespace neurona {
namespace glue {
namespace {

long image_size(const ConvGeometry& g) { return extent({g.batch, g.in_height, g.in_width, g.in_channels}); }
long output_size(const ConvGeometry& g, long channels) { return extent({g.batch, g.out_height, g.out_width, channels}); }
long filter_size(const ConvGeometry& g) { return extent({g.filter_height, g.filter_width, g.in_channels, g.out_channels}); }
long depthwise_filter_size(const ConvGeometry& g) { return extent({g.filter_height, g.filter_width, g.out_channels}); }

// Depthwise output channels are the input channels times a depth multiplier.
bool check_depthwise(napi_env env, const char* function, const ConvGeometry& g) {
  if (g.out_channels == 0 || (g.in_channels > 0 && g.out_channels % g.in_channels == 0)) return true;
  return throw_range_error(env, function, "bad geometry (outChannels " + std::to_string(g.out_channels) +
                                              " is not a multiple of inChannels " + std::to_string(g.in_channels) + ")");
}

}  // namespace

napi_value run(napi_env env, const Conv2dArgs& args) {
  const ConvGeometry& g = args.geometry;
  return call_kernel(env, args.kName, {{args.x, image_size(g)}, {args.filter, filter_size(g)},
                                       {args.out, output_size(g, g.out_channels)}}, [&] {
    return active_kernels().conv2d(args.x.data, args.filter.data, args.out.data, g, nullptr, num_threads());
  });
}

// conv2d with each output finished by bias[channel] (none when bias is null) and the activation, as
// its tiles are stored.
napi_value run(napi_env env, const Conv2dBiasActivationArgs& args) {
  const ConvGeometry& g = args.geometry;
  const MatmulEpilogue epilogue{args.bias.data, static_cast<Activation>(args.activation.value)};
  return call_kernel(env, args.kName, {{args.x, image_size(g)}, {args.filter, filter_size(g)},
                                       {args.out, output_size(g, g.out_channels)},
                                       {args.bias, args.bias.data ? g.out_channels : 0}}, [&] {
    return active_kernels().conv2d(args.x.data, args.filter.data, args.out.data, g, &epilogue, num_threads());
  });
}

napi_value run(napi_env env, const Conv2dBackpropInputArgs& args) {
  const ConvGeometry& g = args.geometry;
  return call_kernel(env, args.kName, {{args.dy, output_size(g, g.out_channels)}, {args.filter, filter_size(g)},
                                       {args.dx, image_size(g)}}, [&] {
    return active_kernels().conv2d_backprop_input(args.dy.data, args.filter.data, args.dx.data, g, num_threads());
  });
}

napi_value run(napi_env env, const Conv2dBackpropFilterArgs& args) {
  const ConvGeometry& g = args.geometry;
  return call_kernel(env, args.kName, {{args.x, image_size(g)}, {args.dy, output_size(g, g.out_channels)},
                                       {args.d_filter, filter_size(g)}}, [&] {
    return active_kernels().conv2d_backprop_filter(args.x.data, args.dy.data, args.d_filter.data, g, num_threads());
  });
}

napi_value run(napi_env env, const DepthwiseConv2dArgs& args) {
  const ConvGeometry& g = args.geometry;
  if (!check_depthwise(env, args.kName, g)) return nullptr;
  return call_kernel(env, args.kName, {{args.x, image_size(g)}, {args.filter, depthwise_filter_size(g)},
                                       {args.out, output_size(g, g.out_channels)}}, [&] {
    active_kernels().depthwise_conv2d(args.x.data, args.filter.data, args.out.data, g, num_threads());
    return true;
  });
}

napi_value run(napi_env env, const DepthwiseConv2dBackpropInputArgs& args) {
  const ConvGeometry& g = args.geometry;
  if (!check_depthwise(env, args.kName, g)) return nullptr;
  return call_kernel(env, args.kName, {{args.dy, output_size(g, g.out_channels)},
                                       {args.filter, depthwise_filter_size(g)}, {args.dx, image_size(g)}}, [&] {
    active_kernels().depthwise_conv2d_backprop_input(args.dy.data, args.filter.data, args.dx.data, g, num_threads());
    return true;
  });
}

napi_value run(napi_env env, const DepthwiseConv2dBackpropFilterArgs& args) {
  const ConvGeometry& g = args.geometry;
  if (!check_depthwise(env, args.kName, g)) return nullptr;
  return call_kernel(env, args.kName, {{args.x, image_size(g)}, {args.dy, output_size(g, g.out_channels)},
                                       {args.d_filter, depthwise_filter_size(g)}}, [&] {
    return active_kernels().depthwise_conv2d_backprop_filter(args.x.data, args.dy.data, args.d_filter.data, g,
                                                             num_threads());
  });
}

// Pooling keeps the channels: its output has in_channels of them.
napi_value run(napi_env env, const Pool2dArgs& args) {
  const ConvGeometry& g = args.geometry;
  return call_kernel(env, args.kName, {{args.x, image_size(g)}, {args.out, output_size(g, g.in_channels)}}, [&] {
    active_kernels().pool2d(args.op.value, args.x.data, args.out.data, g, num_threads());
    return true;
  });
}

napi_value run(napi_env env, const Pool2dBackwardArgs& args) {
  const ConvGeometry& g = args.geometry;
  return call_kernel(env, args.kName, {{args.x, image_size(g)}, {args.dy, output_size(g, g.in_channels)},
                                       {args.dx, image_size(g)}}, [&] {
    active_kernels().pool2d_backward(args.op.value, args.x.data, args.dy.data, args.dx.data, g, num_threads());
    return true;
  });
}

}  // namespace glue
}  // namespace neurona
