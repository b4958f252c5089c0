/** ECharts, tree-shaken: only the charts and components the dashboard uses end up in the bundle. */
import * as echarts from 'echarts/core'
import { BarChart, LineChart, CustomChart } from 'echarts/charts'
import { GridComponent, TooltipComponent, LegendComponent, MarkLineComponent, DataZoomComponent } from 'echarts/components'
import { CanvasRenderer } from 'echarts/renderers'

echarts.use([BarChart, LineChart, CustomChart, GridComponent, TooltipComponent, LegendComponent, MarkLineComponent,
  DataZoomComponent, CanvasRenderer])

export default echarts
