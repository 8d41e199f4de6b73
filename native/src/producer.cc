// BatchProducer: produces a batch of messages laid out in one buffer (keys and values at
// offsets and lengths given by typed arrays) and resolves one promise per batch when every
// message of it has a delivery report. Two threads of its own: a sender that hands batches
// to librdkafka in the order produceBatch was called (waiting on a full queue inside the
// batch, never in JS) and a poller that serves delivery reports and errors.
//
// This file: set-up, produceBatch's argument checks, flush, stats and close; the sender
// thread, delivery reports and Shutdown are in producer_threads.cc.
#include <chrono>

#include "batch_producer.h"
#include "common.h"
#include "consumer.h"

namespace tsn {

Napi::Function BatchProducer::Define(Napi::Env env) {
  return DefineClass(env, "BatchProducer",
                     {InstanceMethod("produceBatch", &BatchProducer::ProduceBatch), InstanceMethod("flush", &BatchProducer::Flush),
                      InstanceMethod("takeErrors", &BatchProducer::TakeErrors), InstanceMethod("takeLogs", &BatchProducer::TakeLogsJs), InstanceMethod("takeStats", &BatchProducer::TakeStatsJs), InstanceMethod("stats", &BatchProducer::Stats),
                      InstanceMethod("close", &BatchProducer::Close)});
}

BatchProducer::BatchProducer(const Napi::CallbackInfo& info) : Napi::ObjectWrap<BatchProducer>(info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) {
    Napi::TypeError::New(env, "BatchProducer: expected a config object of string values").ThrowAsJavaScriptException();
    return;
  }
  rd_kafka_conf_t* conf = BuildConf(info[0].As<Napi::Object>());
  if (!conf) return;
  char only[16];
  size_t onlySize = sizeof only;
  if (rd_kafka_conf_get(conf, "delivery.report.only.error", only, &onlySize) == RD_KAFKA_CONF_OK && std::string(only) == "true") {
    // A batch settles when every message has a report: with failure reports only it never would.
    rd_kafka_conf_destroy(conf);
    Napi::Error::New(env, "BatchProducer: delivery.report.only.error=true is not supported (a batch settles on the report of each of its messages)")
        .ThrowAsJavaScriptException();
    return;
  }
  SetCommonCallbacks(conf, static_cast<ClientBase*>(this));
  rd_kafka_conf_set_dr_msg_cb(conf, OnDelivery);
  char errstr[512];
  rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!rk_) {
    rd_kafka_conf_destroy(conf);
    Napi::Error::New(env, std::string("BatchProducer: ") + errstr).ThrowAsJavaScriptException();
    return;
  }
  tsfn_ = Napi::ThreadSafeFunction::New(env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}), "tickstream-batch-producer", 0, 1);
  tsfn_.Unref(env);  // only pending batches keep the process alive
  sender_ = std::thread([this] { SendLoop(); });
  poller_ = std::thread([this] {
    while (!stopPoller_) rd_kafka_poll(rk_, 50);
  });
}

static const int32_t* Int32Data(const Napi::Value& v, size_t n) {
  static const int32_t none = 0;  // an empty array may have no storage at all
  if (!v.IsTypedArray()) return nullptr;
  auto ta = v.As<Napi::TypedArray>();
  if (ta.TypedArrayType() != napi_int32_array || ta.ElementLength() != n) return nullptr;
  if (n == 0) return &none;
  return reinterpret_cast<const int32_t*>(static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset());
}

// produceBatch(topic, buffer, keyStart, keyLen, valueStart, valueLen, partition?)
Napi::Value BatchProducer::ProduceBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto fail = [&](const std::string& msg) {
    Napi::TypeError::New(env, "produceBatch: " + msg).ThrowAsJavaScriptException();
    return env.Undefined();
  };
  if (!rk_ || closed_) return fail("producer is closed");
  if (!info[0].IsString() || info[0].As<Napi::String>().Utf8Value().empty()) return fail("topic must be a non-empty string");
  if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) return fail("buffer must be a Buffer or Uint8Array");
  auto buf = info[1].As<Napi::Uint8Array>();
  if (!info[2].IsTypedArray()) return fail("keyStart must be an Int32Array");
  size_t n = info[2].As<Napi::TypedArray>().ElementLength();
  const char* names[] = {"keyStart", "keyLen", "valueStart", "valueLen"};
  const int32_t* arrays[4];
  for (int a = 0; a < 4; a++) {
    arrays[a] = Int32Data(info[2 + a], n);
    if (!arrays[a]) return fail(std::string(names[a]) + " must be an Int32Array of " + std::to_string(n) + " elements (as keyStart)");
  }
  auto batch = std::make_unique<Batch>(env);
  if (info.Length() > 6 && !info[6].IsUndefined()) {
    if (info[6].IsNumber()) {
      double p = info[6].As<Napi::Number>().DoubleValue();
      if (!(p >= -1 && p <= INT32_MAX) || static_cast<double>(static_cast<int32_t>(p)) != p) return fail("partition must be an integer >= -1 (-1: the partitioner picks)");
      batch->partition = static_cast<int32_t>(p);
    } else {
      batch->partitions = Int32Data(info[6], n);
      if (!batch->partitions) return fail("partition must be a number or an Int32Array of " + std::to_string(n) + " elements");
      for (size_t i = 0; i < n; i++)
        if (batch->partitions[i] < -1) return fail("partition[" + std::to_string(i) + "] is " + std::to_string(batch->partitions[i]));
    }
  }
  size_t size = buf.ByteLength();
  for (size_t i = 0; i < n; i++) {
    for (int part = 0; part < 2; part++) {
      int64_t start = arrays[part * 2][i], len = arrays[part * 2 + 1][i];
      const char* what = part == 0 ? "key" : "value";
      if (len == -1) continue;  // null
      if (len < -1) return fail(std::string(what) + " " + std::to_string(i) + ": length " + std::to_string(len) + " (use -1 for null)");
      if (start < 0 || static_cast<uint64_t>(start + len) > size)
        return fail(std::string(what) + " " + std::to_string(i) + ": bytes " + std::to_string(start) + ".." + std::to_string(start + len) +
                    " are past the buffer's " + std::to_string(size));
    }
  }
  Napi::Promise promise = batch->deferred.Promise();
  // keep[0] is this producer (Finish finds it there); then everything the sender reads.
  batch->keep.push_back(Napi::Persistent(Value().As<Napi::Value>()));
  for (int a = 1; a < 7 && a < static_cast<int>(info.Length()); a++)
    if (info[a].IsObject()) batch->keep.push_back(Napi::Persistent(info[a]));
  batch->topic = info[0].As<Napi::String>();
  batch->count = n;
  batch->data = buf.Data();
  batch->size = size;
  batch->keyStart = arrays[0];
  batch->keyLen = arrays[1];
  batch->valueStart = arrays[2];
  batch->valueLen = arrays[3];
  batch->slots.reset(new Slot[n > 0 ? n : 1]);
  for (size_t i = 0; i < n; i++) batch->slots[i].batch = batch.get();
  batch->remaining = n + 1;
  if (pending_++ == 0) tsfn_.Ref(env);
  {
    std::lock_guard<std::mutex> lock(mu_);
    jobs_.push_back(batch.release());
  }
  cv_.notify_all();
  return promise;
}

class FlushWorker : public PromiseWorker {
 public:
  FlushWorker(BatchProducer* p, int timeoutMs) : PromiseWorker(p->Env()), p_(p), ref_(Napi::Persistent(p->Value())), timeoutMs_(timeoutMs) { p->inflight_++; }
  ~FlushWorker() override { p_->inflight_--; }
  void Execute() override {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs_);
    {
      // First every batch handed to librdkafka, then librdkafka's own flush.
      std::unique_lock<std::mutex> lock(p_->mu_);
      if (!p_->cv_.wait_until(lock, deadline, [this] { return p_->jobs_.empty() && !p_->sending_; })) return;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    flushed_ = rd_kafka_flush(p_->rk_, static_cast<int>(left > 0 ? left : 0)) == RD_KAFKA_RESP_ERR_NO_ERROR;
  }
  void OnOK() override { deferred_.Resolve(Napi::Boolean::New(Env(), flushed_)); }
 private:
  BatchProducer* p_;
  Napi::ObjectReference ref_;
  int timeoutMs_;
  bool flushed_ = false;
};

class ProducerCloseWorker : public PromiseWorker {
 public:
  explicit ProducerCloseWorker(BatchProducer* p) : PromiseWorker(p->Env()), p_(p), ref_(Napi::Persistent(p->Value())) {}
  void Execute() override { p_->Shutdown(); }
  void OnOK() override {
    p_->tsfn_.Release();
    deferred_.Resolve(Env().Undefined());
  }
 private:
  BatchProducer* p_;
  Napi::ObjectReference ref_;
};

Napi::Value BatchProducer::Flush(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double t = info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : -1;
  if (!rk_ || closed_) {
    Napi::Error::New(env, "flush: producer is closed").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (!(t >= 0 && t <= 3600000)) {
    Napi::TypeError::New(env, "flush: timeoutMs must be a number from 0 to 3600000").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto* w = new FlushWorker(this, static_cast<int>(t));
  w->Queue();
  return w->Promise();
}

Napi::Value BatchProducer::TakeErrors(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<KafkaError> errs = errors.Take();
  Napi::Array arr = Napi::Array::New(env, errs.size());
  for (size_t i = 0; i < errs.size(); i++) arr.Set(i, ToJsErrorObject(env, errs[i]));
  return arr;
}

Napi::Value BatchProducer::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("queued", rk_ ? rd_kafka_outq_len(rk_) : 0);
  o.Set("queueFullWaits", static_cast<double>(queueFullWaits_.load()));
  o.Set("pendingBatches", static_cast<double>(pending_));
  return o;
}

Napi::Value BatchProducer::Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!rk_ || closed_) {
    Napi::Error::New(env, "close: producer is closed").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (inflight_ > 0) {
    Napi::Error::New(env, "close: a flush is in progress; await it first").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  closed_ = true;
  auto* w = new ProducerCloseWorker(this);
  w->Queue();
  return w->Promise();
}

Napi::Function DefineBatchProducer(Napi::Env env) { return BatchProducer::Define(env); }

}  // namespace tsn
