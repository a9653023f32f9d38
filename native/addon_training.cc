// The N-API glue of the training kernels (convolution, pooling, batch normalization, optimizer
// updates): argument conversion and bounds checks only, as in addon.cc. A convolution geometry
// arrives as an Int32Array in Conv2DGeometry's field order; the checks below make sure that no
// geometry, however wrong, lets a kernel read or write outside the arrays it was given.
#include <node_api.h>

#include <string>

#include "addon_args.h"
#include "kernels/isa.h"
#include "kernels/thread_pool.h"

namespace neurona {
namespace glue {
namespace {

enum class FilterLayout { kConv, kDepthwise, kNone };

// Reads a geometry and checks it: sizes non-negative, strides and dilations at least 1, a
// depthwise output a whole multiple of the input channels. Padding may be anything: every kernel
// bounds-checks each tap.
bool get_geometry(napi_env env, napi_value value, const char* name, FilterLayout layout, ConvGeometry* g) {
  int32_t* fields;
  long count;
  if (!get_int32_array(env, value, name, "geometry", &fields, &count)) return false;
  if (count != kConvGeometryFields) {
    const std::string message = std::string("neurona native ") + name + ": geometry must have " +
                                std::to_string(kConvGeometryFields) + " fields, got " + std::to_string(count);
    napi_throw_range_error(env, nullptr, message.c_str());
    return false;
  }
  long* out[kConvGeometryFields] = {&g->batch,         &g->in_height,     &g->in_width,       &g->in_channels,
                                    &g->out_height,    &g->out_width,     &g->out_channels,   &g->filter_height,
                                    &g->filter_width,  &g->stride_height, &g->stride_width,   &g->dilation_height,
                                    &g->dilation_width, &g->pad_top,      &g->pad_left};
  for (int i = 0; i < kConvGeometryFields; i++) *out[i] = fields[i];
  bool ok = true;
  for (int i = 0; i < 9; i++) ok = ok && *out[i] >= 0;
  ok = ok && g->stride_height >= 1 && g->stride_width >= 1 && g->dilation_height >= 1 && g->dilation_width >= 1;
  if (layout == FilterLayout::kDepthwise && g->out_channels > 0) {
    ok = ok && g->in_channels > 0 && g->out_channels % g->in_channels == 0;
  }
  if (!ok) {
    std::string message = std::string("neurona native ") + name +
                          ": bad geometry (sizes must be >= 0, strides and dilations >= 1";
    message += layout == FilterLayout::kDepthwise ? ", outChannels a multiple of inChannels): [" : "): [";
    for (int i = 0; i < kConvGeometryFields; i++) message += (i ? ", " : "") + std::to_string(fields[i]);
    message += "]";
    napi_throw_range_error(env, nullptr, message.c_str());
  }
  return ok;
}

long input_size(const ConvGeometry& g) { return extent({g.batch, g.in_height, g.in_width, g.in_channels}); }
long output_size(const ConvGeometry& g, long channels) { return extent({g.batch, g.out_height, g.out_width, channels}); }
long filter_size(const ConvGeometry& g, FilterLayout layout) {
  return layout == FilterLayout::kConv ? extent({g.filter_height, g.filter_width, g.in_channels, g.out_channels})
                                       : extent({g.filter_height, g.filter_width, g.out_channels});
}

// The six convolution kernels share one signature: (image-shaped, filter-or-gradient, out, geometry).
enum class ConvKind { kForward, kBackpropInput, kBackpropFilter };

template <ConvKind kind, FilterLayout layout>
napi_value Convolution(napi_env env, napi_callback_info info) {
  static const char* const names[2][3] = {
      {"conv2d", "conv2dBackpropInput", "conv2dBackpropFilter"},
      {"depthwiseConv2d", "depthwiseConv2dBackpropInput", "depthwiseConv2dBackpropFilter"}};
  const char* name = names[layout == FilterLayout::kConv ? 0 : 1][static_cast<int>(kind)];
  // Forward: (x, filter, out); backprop input: (dy, filter, dx); backprop filter: (x, dy, dFilter).
  static const char* const labels[3][3] = {{"x", "filter", "out"}, {"dy", "filter", "dx"}, {"x", "dy", "dFilter"}};
  const char* const* label = labels[static_cast<int>(kind)];
  napi_value argv[4];
  if (!get_args(env, info, name, 4, argv)) return nullptr;
  float *first, *second, *out;
  long first_length, second_length, out_length;
  ConvGeometry g;
  if (!get_float32_array(env, argv[0], name, label[0], &first, &first_length) ||
      !get_float32_array(env, argv[1], name, label[1], &second, &second_length) ||
      !get_float32_array(env, argv[2], name, label[2], &out, &out_length) ||
      !get_geometry(env, argv[3], name, layout, &g)) {
    return nullptr;
  }
  const long image = input_size(g);
  const long gradient = output_size(g, g.out_channels);
  const long filter = filter_size(g, layout);
  const long needed[3][3] = {{image, filter, gradient}, {gradient, filter, image}, {image, gradient, filter}};
  const long* need = needed[static_cast<int>(kind)];
  if (!check_extent(env, name, label[0], need[0], first_length) ||
      !check_extent(env, name, label[1], need[1], second_length) ||
      !check_extent(env, name, label[2], need[2], out_length)) {
    return nullptr;
  }
  const IsaKernels& k = active_kernels();
  const int threads = num_threads();
  bool ok = true;
  if (layout == FilterLayout::kConv) {
    if (kind == ConvKind::kForward) ok = k.conv2d(first, second, out, g, nullptr, threads);
    if (kind == ConvKind::kBackpropInput) ok = k.conv2d_backprop_input(first, second, out, g, threads);
    if (kind == ConvKind::kBackpropFilter) ok = k.conv2d_backprop_filter(first, second, out, g, threads);
  } else {
    if (kind == ConvKind::kForward) k.depthwise_conv2d(first, second, out, g, threads);
    if (kind == ConvKind::kBackpropInput) k.depthwise_conv2d_backprop_input(first, second, out, g, threads);
    if (kind == ConvKind::kBackpropFilter) ok = k.depthwise_conv2d_backprop_filter(first, second, out, g, threads);
  }
  if (!ok) throw_out_of_memory(env, name);
  return nullptr;
}

constexpr int kActivationCount = static_cast<int>(Activation::kCount);

// conv2dBiasActivation(x, filter, bias, out, geometry, activation): conv2d with each output finished
// by bias[channel] (bias: a Float32Array of outChannels, or null) and an activation code of
// `activationOps`, as its tiles are stored.
napi_value Conv2dBiasActivation(napi_env env, napi_callback_info info) {
  const char* name = "conv2dBiasActivation";
  napi_value argv[6];
  if (!get_args(env, info, name, 6, argv)) return nullptr;
  float *x, *filter, *out, *bias = nullptr;
  long x_length, filter_length, out_length, bias_length = 0;
  int activation;
  ConvGeometry g;
  napi_valuetype bias_type = napi_undefined;
  NAPI_CALL(env, napi_typeof(env, argv[2], &bias_type));
  if (!get_float32_array(env, argv[0], name, "x", &x, &x_length) ||
      !get_float32_array(env, argv[1], name, "filter", &filter, &filter_length) ||
      (bias_type != napi_null && !get_float32_array(env, argv[2], name, "bias (or null)", &bias, &bias_length)) ||
      !get_float32_array(env, argv[3], name, "out", &out, &out_length) ||
      !get_geometry(env, argv[4], name, FilterLayout::kConv, &g) ||
      !get_code(env, argv[5], name, kActivationCount, &activation)) {
    return nullptr;
  }
  if (!check_extent(env, name, "x", input_size(g), x_length) ||
      !check_extent(env, name, "filter", filter_size(g, FilterLayout::kConv), filter_length) ||
      !check_extent(env, name, "out", output_size(g, g.out_channels), out_length) ||
      (bias && !check_extent(env, name, "bias", g.out_channels, bias_length))) {
    return nullptr;
  }
  const MatmulEpilogue epilogue{bias, static_cast<Activation>(activation)};
  if (!active_kernels().conv2d(x, filter, out, g, &epilogue, num_threads())) throw_out_of_memory(env, name);
  return nullptr;
}

constexpr int kPoolCount = static_cast<int>(PoolKernel::kCount);
constexpr int kUpdateCount = static_cast<int>(UpdateKernel::kCount);

// pool2d(op, x, out, geometry)
napi_value Pool2d(napi_env env, napi_callback_info info) {
  const char* name = "pool2d";
  napi_value argv[4];
  if (!get_args(env, info, name, 4, argv)) return nullptr;
  int op;
  float *x, *out;
  long x_length, out_length;
  ConvGeometry g;
  if (!get_code(env, argv[0], name, kPoolCount, &op) || !get_float32_array(env, argv[1], name, "x", &x, &x_length) ||
      !get_float32_array(env, argv[2], name, "out", &out, &out_length) ||
      !get_geometry(env, argv[3], name, FilterLayout::kNone, &g) ||
      !check_extent(env, name, "x", input_size(g), x_length) ||
      !check_extent(env, name, "out", output_size(g, g.in_channels), out_length)) {
    return nullptr;
  }
  active_kernels().pool2d(op, x, out, g, num_threads());
  return nullptr;
}

// pool2dBackward(op, x, dy, dx, geometry)
napi_value Pool2dBackward(napi_env env, napi_callback_info info) {
  const char* name = "pool2dBackward";
  napi_value argv[5];
  if (!get_args(env, info, name, 5, argv)) return nullptr;
  int op;
  float *x, *dy, *dx;
  long x_length, dy_length, dx_length;
  ConvGeometry g;
  if (!get_code(env, argv[0], name, kPoolCount, &op) || !get_float32_array(env, argv[1], name, "x", &x, &x_length) ||
      !get_float32_array(env, argv[2], name, "dy", &dy, &dy_length) ||
      !get_float32_array(env, argv[3], name, "dx", &dx, &dx_length) ||
      !get_geometry(env, argv[4], name, FilterLayout::kNone, &g) ||
      !check_extent(env, name, "x", input_size(g), x_length) ||
      !check_extent(env, name, "dy", output_size(g, g.in_channels), dy_length) ||
      !check_extent(env, name, "dx", input_size(g), dx_length)) {
    return nullptr;
  }
  active_kernels().pool2d_backward(op, x, dy, dx, g, num_threads());
  return nullptr;
}

bool get_view(napi_env env, napi_value* argv, const char* name, long* outer, long* length, long* inner) {
  return get_long(env, argv[0], name, "outer", outer) && get_long(env, argv[1], name, "length", length) &&
         get_long(env, argv[2], name, "inner", inner);
}

// batchNormTraining(x, outer, length, inner, gamma, beta, epsilon, out, mean, invStd)
napi_value BatchNormTraining(napi_env env, napi_callback_info info) {
  const char* name = "batchNormTraining";
  napi_value argv[10];
  if (!get_args(env, info, name, 10, argv)) return nullptr;
  float *x, *gamma, *beta, *out, *mean, *inv_std;
  long x_length, gamma_length, beta_length, out_length, mean_length, inv_std_length, outer, length, inner;
  double epsilon;
  if (!get_float32_array(env, argv[0], name, "x", &x, &x_length) || !get_view(env, argv + 1, name, &outer, &length, &inner) ||
      !get_float32_array(env, argv[4], name, "gamma", &gamma, &gamma_length) ||
      !get_float32_array(env, argv[5], name, "beta", &beta, &beta_length) ||
      !get_double(env, argv[6], name, "epsilon", &epsilon) ||
      !get_float32_array(env, argv[7], name, "out", &out, &out_length) ||
      !get_float32_array(env, argv[8], name, "mean", &mean, &mean_length) ||
      !get_float32_array(env, argv[9], name, "invStd", &inv_std, &inv_std_length)) {
    return nullptr;
  }
  const long size = extent({outer, length, inner});
  if (!check_extent(env, name, "x", size, x_length) || !check_extent(env, name, "out", size, out_length) ||
      !check_extent(env, name, "gamma", length, gamma_length) || !check_extent(env, name, "beta", length, beta_length) ||
      !check_extent(env, name, "mean", length, mean_length) ||
      !check_extent(env, name, "invStd", length, inv_std_length)) {
    return nullptr;
  }
  if (!active_kernels().batch_norm_training(x, outer, length, inner, gamma, beta, epsilon, out, mean, inv_std,
                                            num_threads())) {
    throw_out_of_memory(env, name);
  }
  return nullptr;
}

// batchNormBackward(x, dy, outer, length, inner, gamma, mean, invStd, dx, dGamma, dBeta)
napi_value BatchNormBackward(napi_env env, napi_callback_info info) {
  const char* name = "batchNormBackward";
  napi_value argv[11];
  if (!get_args(env, info, name, 11, argv)) return nullptr;
  float *x, *dy, *gamma, *mean, *inv_std, *dx, *dgamma, *dbeta;
  long x_length, dy_length, gamma_length, mean_length, inv_std_length, dx_length, dgamma_length, dbeta_length;
  long outer, length, inner;
  if (!get_float32_array(env, argv[0], name, "x", &x, &x_length) ||
      !get_float32_array(env, argv[1], name, "dy", &dy, &dy_length) ||
      !get_view(env, argv + 2, name, &outer, &length, &inner) ||
      !get_float32_array(env, argv[5], name, "gamma", &gamma, &gamma_length) ||
      !get_float32_array(env, argv[6], name, "mean", &mean, &mean_length) ||
      !get_float32_array(env, argv[7], name, "invStd", &inv_std, &inv_std_length) ||
      !get_float32_array(env, argv[8], name, "dx", &dx, &dx_length) ||
      !get_float32_array(env, argv[9], name, "dGamma", &dgamma, &dgamma_length) ||
      !get_float32_array(env, argv[10], name, "dBeta", &dbeta, &dbeta_length)) {
    return nullptr;
  }
  const long size = extent({outer, length, inner});
  if (!check_extent(env, name, "x", size, x_length) || !check_extent(env, name, "dy", size, dy_length) ||
      !check_extent(env, name, "dx", size, dx_length) || !check_extent(env, name, "gamma", length, gamma_length) ||
      !check_extent(env, name, "mean", length, mean_length) ||
      !check_extent(env, name, "invStd", length, inv_std_length) ||
      !check_extent(env, name, "dGamma", length, dgamma_length) ||
      !check_extent(env, name, "dBeta", length, dbeta_length)) {
    return nullptr;
  }
  if (!active_kernels().batch_norm_backward(x, dy, outer, length, inner, gamma, mean, inv_std, dx, dgamma, dbeta,
                                            num_threads())) {
    throw_out_of_memory(env, name);
  }
  return nullptr;
}

// The hyper-parameters of applyUpdate, in this order, as a Float64Array (booleans as 0 / 1).
constexpr int kUpdateFields = 9;

// applyUpdate(rule, param, grad, slots: Float32Array[], hyperParameters: Float64Array)
napi_value ApplyUpdate(napi_env env, napi_callback_info info) {
  const char* name = "applyUpdate";
  napi_value argv[5];
  if (!get_args(env, info, name, 5, argv)) return nullptr;
  int rule;
  float *param, *grad;
  double* fields;
  long param_length, grad_length, field_count;
  if (!get_code(env, argv[0], name, kUpdateCount, &rule) ||
      !get_float32_array(env, argv[1], name, "param", &param, &param_length) ||
      !get_float32_array(env, argv[2], name, "grad", &grad, &grad_length) ||
      !get_float64_array(env, argv[4], name, "hyperParameters", &fields, &field_count) ||
      !check_extent(env, name, "hyperParameters", kUpdateFields, field_count) ||
      !check_extent(env, name, "grad", param_length, grad_length)) {
    return nullptr;
  }
  UpdateParams p;
  p.learning_rate = fields[0];
  p.momentum = fields[1];
  p.nesterov = fields[2] != 0;
  p.beta1 = fields[3];
  p.beta2 = fields[4];
  p.rho = fields[5];
  p.epsilon = fields[6];
  p.amsgrad = fields[7] != 0;
  p.centered = fields[8] != 0;
  const int needed = update_slot_count(static_cast<UpdateKernel>(rule), p);
  bool is_array = false;
  uint32_t slot_count = 0;
  if (napi_is_array(env, argv[3], &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, argv[3], &slot_count) != napi_ok || slot_count < static_cast<uint32_t>(needed)) {
    const std::string message = std::string("neurona native applyUpdate: slots must be an array of at least ") +
                                std::to_string(needed) + " Float32Arrays for rule " + kUpdateNames[rule];
    napi_throw_type_error(env, nullptr, message.c_str());
    return nullptr;
  }
  float* slots[3] = {nullptr, nullptr, nullptr};
  for (int i = 0; i < needed; i++) {
    napi_value element;
    long slot_length;
    const std::string what = "slots[" + std::to_string(i) + "]";
    NAPI_CALL(env, napi_get_element(env, argv[3], static_cast<uint32_t>(i), &element));
    if (!get_float32_array(env, element, name, what.c_str(), &slots[i], &slot_length) ||
        !check_extent(env, name, what.c_str(), param_length, slot_length)) {
      return nullptr;
    }
  }
  active_kernels().apply_update(rule, param, grad, slots, param_length, p, num_threads());
  return nullptr;
}

bool set_names(napi_env env, napi_value exports, const char* property, const char* const* names, int count) {
  napi_value list;
  if (napi_create_array_with_length(env, count, &list) != napi_ok) return false;
  for (int i = 0; i < count; i++) {
    napi_value value;
    if (napi_create_string_utf8(env, names[i], NAPI_AUTO_LENGTH, &value) != napi_ok ||
        napi_set_element(env, list, i, value) != napi_ok) {
      return false;
    }
  }
  return napi_set_named_property(env, exports, property, list) == napi_ok;
}

}  // namespace

bool define_training_kernels(napi_env env, napi_value exports) {
  const napi_property_descriptor properties[] = {
      {"conv2d", nullptr, Convolution<ConvKind::kForward, FilterLayout::kConv>, nullptr, nullptr, nullptr,
       napi_default, nullptr},
      {"conv2dBiasActivation", nullptr, Conv2dBiasActivation, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dBackpropInput", nullptr, Convolution<ConvKind::kBackpropInput, FilterLayout::kConv>, nullptr, nullptr,
       nullptr, napi_default, nullptr},
      {"conv2dBackpropFilter", nullptr, Convolution<ConvKind::kBackpropFilter, FilterLayout::kConv>, nullptr, nullptr,
       nullptr, napi_default, nullptr},
      {"depthwiseConv2d", nullptr, Convolution<ConvKind::kForward, FilterLayout::kDepthwise>, nullptr, nullptr,
       nullptr, napi_default, nullptr},
      {"depthwiseConv2dBackpropInput", nullptr, Convolution<ConvKind::kBackpropInput, FilterLayout::kDepthwise>,
       nullptr, nullptr, nullptr, napi_default, nullptr},
      {"depthwiseConv2dBackpropFilter", nullptr, Convolution<ConvKind::kBackpropFilter, FilterLayout::kDepthwise>,
       nullptr, nullptr, nullptr, napi_default, nullptr},
      {"pool2d", nullptr, Pool2d, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"pool2dBackward", nullptr, Pool2dBackward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormTraining", nullptr, BatchNormTraining, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormBackward", nullptr, BatchNormBackward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"applyUpdate", nullptr, ApplyUpdate, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  if (napi_define_properties(env, exports, sizeof(properties) / sizeof(properties[0]), properties) != napi_ok ||
      !set_names(env, exports, "poolOps", kPoolNames, kPoolCount) ||
      !set_names(env, exports, "updateRules", kUpdateNames, kUpdateCount)) {
    throw_napi_error(env, napi_generic_failure, "define_training_kernels");
    return false;
  }
  return true;
}

}  // namespace glue
}  // namespace neurona
