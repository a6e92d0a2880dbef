// The jobs page's list: QTable over `rows` (row data from ui/job_list.py), a row per job; on a
// phone the rows are cards (job_list.py's CSS). A registered component, so an update of the rows
// patches the DOM in place (a slot template given from Python is a new component at every
// update: every row would be drawn again, and a click landing meanwhile lost). The progress
// cell's text is exactly "<percent><step>" (bench/web.py reads it). A button emits `act`.
export default {
  template: `
    <q-table class="job-list" flat wrap-cells hide-pagination :rows="rows" :columns="columns"
        row-key="id" :pagination="{ rowsPerPage: 0 }">
      <template #body="props">
<q-tr :props="props" class="job-row" :data-job="props.row.id">
  <q-td key="thumbnail" :props="props" class="job-thumbnail">
    <a :href="props.row.url"><img :src="props.row.thumbnail" alt=""
      class="w-24 aspect-video rounded object-cover block"></a>
  </q-td>
  <q-td key="title" :props="props" class="job-title">
    <a :href="props.row.url"
      class="font-medium text-grey-9 no-underline hover:underline">{{ props.row.title }}</a>
    <div class="text-xs text-grey-6 job-source">{{ props.row.source }}</div>
    <div class="text-xs text-grey-6 job-facts">{{ props.row.facts }}</div>
    <div v-if="props.row.error" class="text-xs text-negative job-error">{{ props.row.error }}</div>
  </q-td>
  <q-td key="status" :props="props" class="job-status">
    <q-chip dense square :color="props.row.color" text-color="white" :icon="props.row.icon"
      class="text-xs font-medium uppercase tracking-wide">{{ props.row.status }}</q-chip>
  </q-td>
  <q-td key="progress" :props="props" class="job-progress" :data-job-progress="props.row.id"
    ><div class="flex items-center no-wrap gap-2"><q-linear-progress rounded size="8px"
      :value="props.row.fraction" :color="props.row.color" :indeterminate="props.row.queued"
      class="grow"></q-linear-progress><span class="text-xs text-grey-7 w-10 text-right"
      >{{ props.row.percent }}</span></div><div class="text-xs text-grey-6 ellipsis"
      >{{ props.row.step }}</div></q-td>
  <q-td key="created" :props="props" class="job-meta">{{ props.row.created }}</q-td>
  <q-td key="length" :props="props" class="job-meta">{{ props.row.length }}</q-td>
  <q-td key="clips" :props="props" class="job-meta">{{ props.row.clips }}</q-td>
  <q-td key="actions" :props="props" class="job-actions">
    <q-btn flat round dense icon="visibility" color="grey-8" :href="props.row.url"
      title="View" aria-label="View"></q-btn>
    <q-btn v-if="props.row.can_cancel" flat round dense icon="stop_circle" color="grey-8"
      title="Cancel" aria-label="Cancel"
      @click="$emit('act', {action: 'cancel', id: props.row.id})"></q-btn>
    <q-btn v-if="props.row.can_retry" flat round dense icon="replay" color="grey-8"
      title="Retry" aria-label="Retry"
      @click="$emit('act', {action: 'retry', id: props.row.id})"></q-btn>
    <q-btn flat round dense icon="delete" color="negative" title="Delete" aria-label="Delete"
      @click="$emit('act', {action: 'delete', id: props.row.id})"></q-btn>
  </q-td>
</q-tr>
      </template>
    </q-table>`,
  props: {
    rows: Array,
    columns: Array,
  },
  emits: ["act"],
};
